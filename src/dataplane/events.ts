/**
 * What the data plane tells the rest of the gateway, over `node:diagnostics_channel` (as undici
 * publishes its own lifecycle): one event per finished downstream request and one per shadow. Access
 * logs and the dashboard subscribe; with no subscriber, publishing costs one boolean check.
 */
import { channel } from 'node:diagnostics_channel';

export interface AccessEvent {
  readonly kind: 'primary' | 'mirror';
  /** Epoch milliseconds when the request arrived (for a shadow: when the copy was handed over). */
  readonly startTime: number;
  readonly durationMs: number;
  readonly requestId: string;
  readonly listener: string;
  readonly method: string;
  /** The path and query sent upstream. */
  readonly path: string;
  /** The authority sent upstream: the shadow's carries `-shadow`. */
  readonly authority: string;
  /** Route id, or '' when none matched. */
  readonly routeId: string;
  readonly cluster: string;
  /** `address:port` of the upstream endpoint, or '' when none was reached. */
  readonly endpoint: string;
  /** Status sent downstream (received from the shadow for a mirror); 0 when there was none. */
  readonly status: number;
  readonly bytesIn: number;
  readonly bytesOut: number;
  /** Envoy response flags (`UF`, `UT`, `UO`, `NR`, `URX`, `DC`, ...), comma-separated; '' when none. */
  readonly flags: string;
  readonly attempts: number;
}

export const accessEvents = channel('shadowgate:access');
