/**
 * The console's server side, composed: the history, what feeds it (the sampler in this process, or the
 * workers' buckets under `--workers N`), when each route's mirror policy last changed, and the live
 * subscribers of `GET /api/stream`. The admin server asks it for JSON; it never touches the proxy.
 */
import type { ServerResponse } from 'node:http';
import { listRoutes, type RouteView } from '../admin/routes-api.ts';
import type { GatewayController } from '../control/controller.ts';
import type { GatewayInfo, StreamTick, TimeseriesResponse } from './api-types.ts';
import { History } from './history.ts';
import { recordedMirrors, routeTick, routeTimeseries, type ViewContext } from './view.ts';

/** Something that fills the history once a second and says which second it completed. */
export interface HistoryFeed {
  start(history: History, onSecond: (second: number) => void): void;
  stop(): void;
}

export interface ConsoleOptions {
  readonly controller: GatewayController;
  readonly feed: HistoryFeed;
  /** Worker processes serving traffic (0: this process). */
  readonly workers: number;
  readonly history?: History;
}

export class ConsoleState {
  readonly history: History;
  readonly #controller: GatewayController;
  readonly #feed: HistoryFeed;
  readonly #workers: number;
  readonly #startedAt = Date.now();
  readonly #subscribers = new Set<ServerResponse>();
  /** Per route, its mirror policy as last seen, and the first second it has held since. */
  readonly #policies = new Map<string, { signature: string; since: number }>();
  #routes: { snapshot: unknown; views: RouteView[] } | null = null;

  constructor(options: ConsoleOptions) {
    this.#controller = options.controller;
    this.#feed = options.feed;
    this.#workers = options.workers;
    this.history = options.history ?? new History();
  }

  start(): void {
    this.#notePolicies();
    this.#feed.start(this.history, () => this.#tick());
  }

  stop(): void {
    this.#feed.stop();
    for (const res of this.#subscribers) res.end();
    this.#subscribers.clear();
  }

  /** `GET /api/timeseries`: every route (or one), columns after `since` (default: all 15 minutes). */
  timeseries(route: string | null, since: number | null): TimeseriesResponse | null {
    const ctx = this.#context();
    const routes = route === null ? ctx.routes : ctx.routes.filter((r) => r.id === route);
    if (route !== null && routes.length === 0) return null;
    return {
      resolutionSeconds: 1,
      historySeconds: this.history.length,
      through: this.history.through,
      gateway: this.gatewayInfo(),
      routes: routes.map((r) => routeTimeseries(ctx, r, since)),
    };
  }

  /** The event a stream subscriber gets for the second that just completed. */
  tick(): StreamTick {
    const ctx = this.#context();
    return { through: this.history.through, gateway: this.gatewayInfo(), routes: ctx.routes.map((r) => routeTick(ctx, r)) };
  }

  /** Adds a server-sent-events subscriber; it gets a `tick` event every second until it goes away. */
  subscribe(res: ServerResponse): void {
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      'x-accel-buffering': 'no',
    });
    // The first event at once, so a subscriber never waits a second for its first picture.
    res.write(`retry: 1000\n\n`);
    if (this.history.through >= 0) res.write(event('tick', this.tick()));
    this.#subscribers.add(res);
    res.on('close', () => this.#subscribers.delete(res));
  }

  gatewayInfo(): GatewayInfo {
    const snapshot = this.#controller.snapshot;
    const rejected = this.#controller.rejected;
    return {
      startedAt: new Date(this.#startedAt).toISOString(),
      uptimeSeconds: Math.floor((Date.now() - this.#startedAt) / 1000),
      workers: this.#workers,
      config: {
        version: snapshot?.version ?? null,
        loadedAt: snapshot?.loadedAt ?? null,
        lastRejected:
          rejected === null
            ? null
            : {
                at: rejected.at,
                errors: rejected.diagnostics.map((d) => ({ code: d.code, field: d.field, message: d.message, file: d.file, line: d.line })),
              },
      },
      historyFull: this.history.overflowed,
    };
  }

  #tick(): void {
    this.#notePolicies();
    if (this.#subscribers.size === 0) return;
    const text = event('tick', this.tick());
    for (const res of this.#subscribers) res.write(text);
  }

  /** The routes as `/api/routes` lists them, recomputed only when the snapshot changes. */
  #routeViews(): RouteView[] {
    const snapshot = this.#controller.snapshot;
    if (snapshot === null) return [];
    if (this.#routes?.snapshot !== snapshot) {
      this.#routes = { snapshot, views: listRoutes(snapshot, this.#controller.overrides) };
    }
    return this.#routes.views;
  }

  /**
   * Notes when each route's mirror policy changed, so the observed share is judged only over seconds
   * that ran entirely under the current one: the first such second is the one after the next.
   */
  #notePolicies(): void {
    const firstClean = Math.floor(Date.now() / 1000) + 1;
    for (const route of this.#routeViews()) {
      const signature = route.mirrors.map((m) => `${m.cluster}@${m.perMillion}`).join(',');
      const known = this.#policies.get(route.id);
      if (known === undefined) this.#policies.set(route.id, { signature, since: this.history.through < 0 ? firstClean - 1 : firstClean });
      else if (known.signature !== signature) this.#policies.set(route.id, { signature, since: firstClean });
    }
  }

  #context(): ViewContext {
    this.#notePolicies();
    const policySince = new Map([...this.#policies].map(([id, p]) => [id, p.since]));
    return { history: this.history, routes: this.#routeViews(), policySince, recordedMirrors: recordedMirrors(this.history) };
  }
}

function event(name: string, data: unknown): string {
  return `event: ${name}\ndata: ${JSON.stringify(data)}\n\n`;
}
