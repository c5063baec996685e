/**
 * The running gateway: the current snapshot, the listeners bound from it, and the upstream and mirror
 * machinery the data plane uses. (Being written; the API below is the contract.)
 */
import type { Snapshot } from './snapshot/types.ts';

export interface ListenerAddress {
  readonly name: string;
  readonly protocol: 'HTTP' | 'HTTPS';
  readonly address: string;
  readonly port: number;
}

export interface GatewayOptions {
  /** Random draw in [0, 1) used for mirror sampling and load balancing; injectable for tests. */
  readonly random?: () => number;
}

export class Gateway {
  #snapshot: Snapshot;
  private constructor(snapshot: Snapshot) {
    this.#snapshot = snapshot;
  }
  /** Binds every listener of the snapshot; rejects when a listener cannot bind. */
  static async start(snapshot: Snapshot, _options: GatewayOptions = {}): Promise<Gateway> {
    return new Gateway(snapshot);
  }
  get snapshot(): Snapshot {
    return this.#snapshot;
  }
  /** Where each listener is bound (the real port when the config said 0). */
  addresses(): ListenerAddress[] {
    return [];
  }
  /** Swaps in a new snapshot atomically; listeners are opened and closed to match. */
  async apply(snapshot: Snapshot): Promise<void> {
    this.#snapshot = snapshot;
  }
  /** Stops accepting, lets in-flight requests and shadows finish, closes pools. */
  async close(): Promise<void> {}
}
