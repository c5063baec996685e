/**
 * Sticky sampling: a mirror may pick requests by a hash of a key (a user id header, a session cookie,
 * a query parameter) instead of a random draw. The hash stands in for the draw and is compared with the
 * same per-million threshold, so the same keys are always mirrored, and raising the percentage keeps
 * every key mirrored before (a key under 5% is under 10%), as nginx's `split_clients` does. A request
 * without the key falls back to the random draw; the caller counts those separately.
 */
import { MILLION } from '../snapshot/fraction.ts';
import type { StickyKeySource } from '../snapshot/mirror-extensions.ts';

export type { StickyKeySource };

/** What a request offers to read a key from. */
export interface StickyKeyInput {
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  /** The query string without `?`. */
  readonly query: string;
}

/** The key's value in this request, or null when the request has none (or an empty one). */
export function stickyKey(source: StickyKeySource, input: StickyKeyInput): string | null {
  switch (source.kind) {
    case 'header': {
      const value = input.headers[source.name];
      const first = Array.isArray(value) ? value[0] : value;
      return first === undefined || first === '' ? null : first;
    }
    case 'cookie':
      return cookieValue(input.headers.cookie, source.name);
    case 'queryParameter': {
      if (input.query === '') return null;
      const value = new URLSearchParams(input.query).get(source.name);
      return value === null || value === '' ? null : value;
    }
  }
}

function cookieValue(header: string | string[] | undefined, name: string): string | null {
  if (header === undefined) return null;
  for (const line of Array.isArray(header) ? header : [header]) {
    for (const pair of line.split(';')) {
      const eq = pair.indexOf('=');
      if (eq === -1 || pair.slice(0, eq).trim() !== name) continue;
      const value = pair.slice(eq + 1).trim();
      return value === '' ? null : value;
    }
  }
  return null;
}

/**
 * The key's draw in [0, MILLION): FNV-1a over the UTF-16 code units, then murmur3's finaliser so that
 * keys differing in their last character spread over the whole range. Stable across processes,
 * restarts and versions (a changed hash would re-shuffle which users are mirrored: don't change it).
 */
export function stickyDraw(key: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    hash ^= key.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  hash ^= hash >>> 16;
  hash = Math.imul(hash, 0x85ebca6b);
  hash ^= hash >>> 13;
  hash = Math.imul(hash, 0xc2b2ae35);
  hash ^= hash >>> 16;
  return (hash >>> 0) % MILLION;
}
