/**
 * `GET /stats`: the counters as JSON, with requests per second per cluster over 10 s and 60 s for the
 * primary traffic and for the mirror copies, side by side.
 */
import type { GatewayController } from '../control/controller.ts';
import type { DataPlaneView } from '../control/data-plane-view.ts';
import type { RateTracker } from '../metrics/rates.ts';

export function statsJson(dataPlane: DataPlaneView, controller: GatewayController, rates: RateTracker): unknown {
  const { counters } = dataPlane;
  const snapshot = controller.snapshot;
  const strip = <T extends { latency?: unknown }>(c: T) => {
    const { latency: _latency, ...rest } = c;
    return rest;
  };
  return {
    config: {
      version: snapshot?.version ?? null,
      loadedAt: snapshot?.loadedAt ?? null,
      reloads: controller.reloads,
      lastRejectedAt: controller.rejected?.at ?? null,
      overrides: controller.overrides.size,
    },
    rates: rates.rates(),
    listeners: dataPlane.connections(),
    closedConnections: [...counters.listeners()],
    downstream: [...counters.downstreams()].map(strip),
    upstream: [...counters.upstreams()].map(strip),
    mirror: [...counters.mirrors()].map(strip),
  };
}
