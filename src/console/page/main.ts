/**
 * The dashboard page: loads the routes and services, subscribes to the stream, and keeps the overview,
 * the charts and the editor of the selected route up to date. It reads only the public admin API.
 */
import type { StreamTick, TimeseriesResponse } from '../api-types.ts';
import { getJson } from './api.ts';
import { ComparisonCharts } from './charts.ts';
import { DifferencesView } from './differences.ts';
import { byId, h } from './dom.ts';
import { MirrorEditor } from './editor.ts';
import { renderHeader, renderLive } from './header.ts';
import { renderOverview } from './overview.ts';
import { RouteData } from './route-data.ts';
import { subscribe } from './stream.ts';
import type { RouteInfo, ServiceInfo } from './types.ts';

const SELECTED_KEY = 'shadowgate.route';

class Dashboard {
  readonly #table = byId<HTMLTableElement>('overview');
  readonly #routeSelect = byId<HTMLSelectElement>('route-select');
  readonly #charts = new ComparisonCharts({ qps: byId('chart-qps'), latency: byId('chart-latency'), status: byId('chart-status') });
  readonly #editor = new MirrorEditor({ onApplied: () => this.#afterChange() });
  readonly #differences = new DifferencesView();
  #routes = new Map<string, RouteInfo>();
  #selected: string | null = sessionStorage.getItem(SELECTED_KEY);
  #data: RouteData | null = null;
  #history = 900;
  #lastTick: StreamTick | null = null;
  #version: string | null = null;
  #loadingHistory: Promise<void> | null = null;

  async start(): Promise<void> {
    this.#editor.watchEdits();
    this.#routeSelect.addEventListener('change', () => this.#select(this.#routeSelect.value));
    await this.#loadRoutes();
    subscribe({ onTick: (tick) => this.#onTick(tick), onState: renderLive });
  }

  async #loadRoutes(): Promise<void> {
    const [routes, services] = await Promise.all([
      getJson<{ routes: RouteInfo[] }>('/api/routes'),
      getJson<{ services: ServiceInfo[] }>('/api/services'),
    ]);
    this.#routes = new Map(routes.routes.map((r) => [r.id, r]));
    this.#editor.setServices(services.services);
    if (this.#selected === null || !this.#routes.has(this.#selected)) {
      // Start with a route that mirrors: that is what the page is for.
      this.#selected = routes.routes.find((r) => r.mirrors.length > 0)?.id ?? routes.routes[0]?.id ?? null;
    }
    this.#routeSelect.replaceChildren(...routes.routes.map((r) => h('option', { value: r.id }, r.id)));
    if (this.#selected !== null) {
      this.#routeSelect.value = this.#selected;
      this.#editor.show(this.#routes.get(this.#selected)!);
      this.#differences.show(this.#selected);
      await this.#loadHistory();
    }
  }

  async #afterChange(): Promise<void> {
    await this.#loadRoutes();
    if (this.#lastTick !== null) this.#renderTable(this.#lastTick);
  }

  #select(route: string): void {
    if (!this.#routes.has(route)) return;
    this.#selected = route;
    sessionStorage.setItem(SELECTED_KEY, route);
    this.#routeSelect.value = route;
    this.#editor.show(this.#routes.get(route)!);
    this.#differences.show(route);
    if (this.#lastTick !== null) this.#renderTable(this.#lastTick);
    void this.#loadHistory();
  }

  /** The selected route's last 15 minutes, so a page opened late shows them at once. */
  #loadHistory(): Promise<void> {
    const route = this.#selected;
    if (route === null) return Promise.resolve();
    this.#loadingHistory ??= getJson<TimeseriesResponse>(`/api/timeseries?route=${encodeURIComponent(route)}`)
      .then((response) => {
        this.#history = response.historySeconds;
        const data = response.routes[0];
        if (data === undefined || route !== this.#selected) return;
        this.#data = new RouteData(data, this.#history);
        this.#charts.show(this.#data);
        renderHeader(response.gateway);
      })
      .finally(() => (this.#loadingHistory = null));
    return this.#loadingHistory;
  }

  #renderTable(tick: StreamTick): void {
    renderOverview(this.#table, tick, this.#routes, this.#selected, (route) => this.#select(route));
  }

  #onTick(tick: StreamTick): void {
    this.#lastTick = tick;
    renderHeader(tick.gateway);
    if (tick.gateway.config.version !== this.#version) {
      const first = this.#version === null;
      this.#version = tick.gateway.config.version;
      // A reload or an override elsewhere (another operator, a script): pick up the new routes.
      if (!first) void this.#loadRoutes();
    }
    this.#renderTable(tick);
    const data = this.#data;
    if (data === null || data.route !== this.#selected) return;
    if (data.append(tick)) this.#charts.show(data);
    else if (this.#loadingHistory === null) void this.#loadHistory();
  }
}

void new Dashboard().start();
