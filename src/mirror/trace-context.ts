/**
 * A copy's trace context says "not sampled", as Envoy does for a shadow whose policy has
 * `trace_sampled: false` (what Istio generates, and what `/config_dump` shows): the copy joins the
 * primary's trace but asks downstream tracers not to record it, so mirrored traffic does not double a
 * trace's spans. Only headers already present are rewritten; a request without trace context gets none.
 */
import type { HeaderMap } from '../dataplane/headers.ts';

/** `version-traceid-parentid-flags` (W3C Trace Context, version 00: exactly 55 characters). */
const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(.*)$/;

/** Rewrites `headers` (the copy's own object) in place. */
export function markTraceUnsampled(headers: HeaderMap): void {
  const traceparent = headers.traceparent;
  if (typeof traceparent === 'string') {
    const match = TRACEPARENT.exec(traceparent);
    if (match !== null) {
      // Clear only the `sampled` bit (0x01); other flags (e.g. W3C level 2's random-trace-id) stay.
      const flags = (Number.parseInt(match[4]!, 16) & ~0x01).toString(16).padStart(2, '0');
      headers.traceparent = `${match[1]}-${match[2]}-${match[3]}-${flags}${match[5]}`;
    }
  }
  if (headers['x-b3-sampled'] !== undefined) headers['x-b3-sampled'] = '0';
  // B3's debug flag implies "sampled"; it cannot stay on a copy that says it is not.
  if (headers['x-b3-flags'] !== undefined) delete headers['x-b3-flags'];
  const b3 = headers.b3;
  if (typeof b3 === 'string') headers.b3 = unsampledB3(b3);
}

/** The single `b3` header: `traceid-spanid[-sampled[-parentspanid]]`, or just the sampling state. */
function unsampledB3(value: string): string {
  const parts = value.split('-');
  if (parts.length === 1) return '0';
  if (parts.length === 2) return `${parts[0]}-${parts[1]}-0`;
  parts[2] = '0';
  return parts.join('-');
}
