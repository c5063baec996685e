/**
 * Istio duration strings (`5s`, `100ms`, `1.5s`, `1m`, `1h30m`), read the way Go's `time.ParseDuration`
 * reads them, which is what Istio's Kubernetes validation accepts.
 */

const UNIT_MS: Readonly<Record<string, number>> = {
  h: 3_600_000,
  m: 60_000,
  s: 1000,
  ms: 1,
  us: 0.001,
  µs: 0.001,
  ns: 0.000001,
};

const PART = /(\d+(?:\.\d*)?|\.\d+)(h|ms|m|s|us|µs|ns)/y;

/** Milliseconds in a duration string, or `null` when it is not one. */
export function parseDurationMs(text: string): number | null {
  if (text === '') return null;
  let total = 0;
  PART.lastIndex = 0;
  while (PART.lastIndex < text.length) {
    const start = PART.lastIndex;
    const match = PART.exec(text);
    if (match === null || match.index !== start) return null;
    total += Number(match[1]) * UNIT_MS[match[2]!]!;
  }
  return total;
}

/** Milliseconds in a duration string the schema has already accepted. */
export function durationMs(text: string): number {
  const ms = parseDurationMs(text);
  if (ms === null) throw new Error(`not a duration: ${text}`); // the schema rejects these first
  return ms;
}
