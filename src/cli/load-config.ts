/**
 * The CLI's one door into the config pipeline: build a snapshot from paths and print what the
 * pipeline had to say, every diagnostic on stderr in compiler style.
 */
import { buildSnapshotFromPaths, formatDiagnostic, type ConfigDiagnostic } from '../config/index.ts';
import type { MirrorSettings, Snapshot } from '../snapshot/types.ts';
import { say } from './io.ts';

export type MirrorOverrides = Partial<MirrorSettings>;

export interface LoadedConfig {
  /** `null` when there were errors. */
  readonly snapshot: Snapshot | null;
  readonly diagnostics: readonly ConfigDiagnostic[];
  readonly errors: number;
  readonly warnings: number;
}

/** Builds the snapshot; the pipeline reports config problems as diagnostics, never by throwing. */
export async function loadConfig(paths: readonly string[], mirror: MirrorOverrides = {}): Promise<LoadedConfig> {
  const { snapshot, diagnostics } = await buildSnapshotFromPaths([...paths], { mirror });
  const errors = diagnostics.filter((d) => d.severity === 'error').length;
  return { snapshot, diagnostics, errors, warnings: diagnostics.length - errors };
}

/** Prints every diagnostic, in the pipeline's order (by file and position). */
export function printDiagnostics(diagnostics: readonly ConfigDiagnostic[], stderr: NodeJS.WritableStream): void {
  for (const d of diagnostics) say(stderr, formatDiagnostic(d));
}

/** `2 errors, 1 warning`. */
export function countsText(errors: number, warnings: number): string {
  return `${plural(errors, 'error')}, ${plural(warnings, 'warning')}`;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}
