/**
 * What the admin server and metrics read of the data plane: the counters, open connections and bound
 * addresses. An in-process `Gateway` is one; a worker supervisor (`--workers N`) is another, summing its
 * workers' counters.
 */
import type { ListenerAddress } from '../gateway.ts';
import type { GatewayCounters } from '../stats/counters.ts';

export interface DataPlaneView {
  readonly counters: GatewayCounters;
  connections(): readonly { readonly listener: string; readonly count: number }[];
  addresses(): readonly ListenerAddress[];
  /** Brings `counters` up to date where they are gathered from elsewhere (workers). */
  refresh?(): Promise<void>;
}
