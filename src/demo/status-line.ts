/** The demo's once-a-second status line and its closing summary, as pure functions of the tallies. */

export interface DemoTally {
  /** Requests the traffic generator started. */
  readonly sent: number;
  /** Traffic-generator requests that got no 2xx (error statuses and connection failures). */
  readonly failed: number;
  /** Requests the primary echo service received. */
  readonly primary: number;
  /** Copies the shadow echo service received. */
  readonly shadow: number;
  /** Host header of the last copy the shadow received, `null` before the first. */
  readonly lastShadowHost: string | null;
}

/** Shadow copies as a percentage of primary requests, one decimal; `-` before any primary request. */
export function shadowShare(t: DemoTally): string {
  return t.primary === 0 ? '-' : `${((100 * t.shadow) / t.primary).toFixed(1)}%`;
}

/** `sent 120 | primary 118 | shadow 61 (51.7%) | last shadow Host: httpbin.example.com-shadow`. */
export function statusLine(t: DemoTally): string {
  const parts = [
    `sent ${t.sent}`,
    `primary ${t.primary}`,
    `shadow ${t.shadow} (${shadowShare(t)})`,
    `last shadow Host: ${t.lastShadowHost ?? '-'}`,
  ];
  if (t.failed > 0) parts.push(`failed ${t.failed}`);
  return parts.join(' | ');
}

/** The closing lines, which state plainly whether mirroring was seen working. */
export function summaryLines(t: DemoTally, seconds: number): string[] {
  const lines = [`demo ran ${seconds.toFixed(1)} s: ${statusLine(t)}`];
  if (t.shadow > 0) {
    lines.push(`shadow received ${t.shadow} mirrored requests (${shadowShare(t)} of primary); last Host: ${t.lastShadowHost ?? '-'}`);
  } else {
    lines.push('shadow received no mirrored requests');
  }
  return lines;
}
