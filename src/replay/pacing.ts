/**
 * When each replayed request is due, in milliseconds after the replay starts: as fast as the
 * concurrency allows, at a fixed rate, or following the recorded timing at a speed factor (`2x`
 * halves every gap).
 */
import type { ReplayEntry } from './capture-file.ts';

export type Pacing =
  | { readonly kind: 'unpaced' }
  | { readonly kind: 'rate'; readonly perSecond: number }
  | { readonly kind: 'speed'; readonly factor: number };

/** `2x`, `0.5x` or `2` → 2, 0.5, 2; null when not a positive number. */
export function parseSpeed(text: string): number | null {
  const factor = Number(text.endsWith('x') ? text.slice(0, -1) : text);
  return Number.isFinite(factor) && factor > 0 ? factor : null;
}

/** The due time of entry `index`, or 0 when there is none to wait for. */
export function dueAt(pacing: Pacing, entries: readonly ReplayEntry[], index: number): number {
  switch (pacing.kind) {
    case 'unpaced':
      return 0;
    case 'rate':
      return (index * 1000) / pacing.perSecond;
    case 'speed': {
      const first = Date.parse(entries[0]!.startedDateTime);
      const at = Date.parse(entries[index]!.startedDateTime);
      // Entries without a usable time go at once, rather than failing a whole replay.
      return Number.isFinite(first) && Number.isFinite(at) ? Math.max(0, at - first) / pacing.factor : 0;
    }
  }
}
