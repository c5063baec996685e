/**
 * The admin listener (Envoy's admin port, 15000 by default): health, readiness, the config dump, stats,
 * reloads and the runtime mirror-policy API. It reads the controller's snapshot and the gateway's
 * counters; it never reaches into the proxy. Bound beyond loopback it requires a bearer token. Every
 * request passes the `AdminRequestGuard` (Host, cross-site and content-type checks, the token) first.
 */
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { isIP } from 'node:net';
import type { Registry } from 'prom-client';
import { createServer } from '../platform/node-http.ts';
import type { ConfigDiagnostic } from '../config/index.ts';
import type { GatewayController, ReloadResult } from '../control/controller.ts';
import type { DataPlaneView } from '../control/data-plane-view.ts';
import type { RateTracker } from '../metrics/rates.ts';
import type { ConsoleState } from '../console/dashboard-state.ts';
import { handleConsoleApi, isDashboardAsset, serveDashboardAsset } from '../console/http.ts';
import type { DiffStore } from '../compare/diff-store.ts';
import { renderConfigDump } from './config-dump.ts';
import { diffSample, diffsSummary } from './diffs-api.ts';
import { AdminRequestGuard, type AdminRefusal } from './request-guard.ts';
import { listRoutes, listServices, mirrorOverrideBody } from './routes-api.ts';
import { statsJson } from './stats-json.ts';

export interface AdminContext {
  readonly controller: GatewayController;
  readonly dataPlane: () => DataPlaneView | null;
  readonly registry: Registry;
  readonly rates: RateTracker;
  /** True once listeners are bound, false again while draining. */
  readonly ready: () => boolean;
  /** The dashboard's history and stream; without it /api/timeseries and /api/stream answer 503. */
  readonly console?: ConsoleState | null;
  /** Response comparison results; `null` when none can be read here (workers without a shared file). */
  readonly diffs?: () => DiffStore | null;
}

export interface AdminOptions {
  readonly host: string;
  readonly port: number;
  readonly token: string | null;
  /** `Host` values accepted besides the loopback names and the bound address (`--admin-allowed-hosts`). */
  readonly allowedHosts?: readonly string[];
}

/** Thrown at start-up when the admin port would be reachable from elsewhere without a token. */
export class AdminTokenRequiredError extends Error {
  readonly code = 'SG_ADMIN_TOKEN_REQUIRED';
  constructor(host: string) {
    super(`the admin server on ${host} is reachable beyond loopback: start it with --admin-token, --admin-token-file or $SHADOWGATE_ADMIN_TOKEN, or bind it to 127.0.0.1`);
  }
}

export function isLoopback(host: string): boolean {
  if (host === 'localhost') return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  return host === '::1';
}

const MAX_BODY_BYTES = 64 * 1024;

class HttpError extends Error {
  readonly status: number;
  readonly body: unknown;
  constructor(status: number, body: unknown) {
    super(`HTTP ${status}`);
    this.status = status;
    this.body = body;
  }
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body, null, 2) + '\n';
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function sendRefusal(res: ServerResponse, refusal: AdminRefusal): void {
  for (const [name, value] of Object.entries(refusal.headers)) res.setHeader(name, value);
  sendJson(res, refusal.status, { code: refusal.code, message: refusal.message });
}

function sendText(res: ServerResponse, status: number, text: string, type = 'text/plain; charset=utf-8'): void {
  res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function diagnosticsBody(diagnostics: readonly ConfigDiagnostic[]): unknown {
  return {
    errors: diagnostics.map((d) => ({
      code: d.code,
      field: d.field,
      message: d.message,
      ...(d.line > 0 && { file: d.file, line: d.line, column: d.column }),
      resource: `${d.kind} ${d.namespace}/${d.name}`,
    })),
  };
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new HttpError(413, { error: 'body too large' });
    chunks.push(chunk as Buffer);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw new HttpError(400, { errors: [{ code: 'INVALID_JSON', field: '', message: 'the body is not valid JSON' }] });
  }
}

function reloadBody(result: ReloadResult): [number, unknown] {
  return result.ok
    ? [200, { ok: true, version: result.version, changed: result.changed }]
    : [400, { ok: false, ...(diagnosticsBody(result.diagnostics) as object) }];
}

export class AdminServer {
  readonly #context: AdminContext;
  readonly #options: AdminOptions;
  readonly #server: Server;
  readonly #guard: AdminRequestGuard;

  constructor(context: AdminContext, options: AdminOptions) {
    if (options.token === null && !isLoopback(options.host)) throw new AdminTokenRequiredError(options.host);
    this.#context = context;
    this.#options = options;
    this.#guard = new AdminRequestGuard({ token: options.token, allowedHosts: options.allowedHosts });
    this.#server = createServer((req, res) => {
      this.#handle(req, res).catch((error: unknown) => {
        if (error instanceof HttpError) sendJson(res, error.status, error.body);
        else sendJson(res, 500, { error: error instanceof Error ? error.message : String(error) });
      });
    });
  }

  listen(): Promise<AddressInfo> {
    return new Promise((resolve, reject) => {
      this.#server.once('error', reject);
      this.#server.listen({ host: this.#options.host, port: this.#options.port }, () => {
        this.#server.off('error', reject);
        const address = this.#server.address() as AddressInfo;
        // Before any connection is handled: the 'listening' callback runs first.
        this.#guard.bound(address.address, address.port);
        resolve(address);
      });
    });
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.#server.close(() => resolve());
      this.#server.closeAllConnections();
    });
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://admin');
    const path = url.pathname;
    const method = req.method ?? 'GET';
    // The dashboard's page and assets hold no data, and a browser cannot attach a token to a
    // navigation: they pass without it (every other check still applies); the page asks for the token
    // and sends it with every API call.
    const asset = isDashboardAsset(method, path);
    const refused = this.#guard.check(req, { tokenRequired: !asset });
    if (refused !== null) {
      req.resume();
      sendRefusal(res, refused);
      return;
    }
    if (asset) {
      await serveDashboardAsset(req, res, path);
      return;
    }
    const { controller } = this.#context;

    if (handleConsoleApi(this.#context.console ?? null, req, res, url)) return;
    if (method === 'GET' && path.startsWith('/api/diffs/')) {
      const { status, body } = diffSample(this.#context.diffs?.() ?? null, path.slice('/api/diffs/'.length));
      sendJson(res, status, body);
      return;
    }
    if (path.startsWith('/api/routes/') && path.endsWith('/mirror')) {
      await this.#mirrorOverride(req, res, decodeURIComponent(path.slice('/api/routes/'.length, -'/mirror'.length)));
      return;
    }
    switch (`${method} ${path}`) {
      case 'GET /healthz':
        sendText(res, 200, 'ok\n');
        return;
      case 'GET /ready': {
        const ready = this.#context.ready();
        sendText(res, ready ? 200 : 503, ready ? 'LIVE\n' : 'NOT READY\n');
        return;
      }
      case 'GET /config_dump': {
        const snapshot = controller.snapshot;
        if (snapshot === null) throw new HttpError(503, { error: 'no config loaded' });
        const dataPlane = this.#context.dataPlane();
        const rejected = controller.rejected;
        sendJson(
          res,
          200,
          renderConfigDump(snapshot, {
            version: snapshot.version,
            loadedAt: snapshot.loadedAt,
            lastRejected: rejected === null ? null : { at: rejected.at, errors: [...rejected.diagnostics] },
            overrides: [...controller.overrides.keys()],
            listenerPorts: new Map(dataPlane?.addresses().map((a) => [a.name, a.port]) ?? []),
          }),
        );
        return;
      }
      case 'GET /stats/prometheus':
        await this.#context.dataPlane()?.refresh?.();
        sendText(res, 200, await this.#context.registry.metrics(), this.#context.registry.contentType);
        return;
      case 'GET /stats': {
        const dataPlane = this.#context.dataPlane();
        if (dataPlane === null) throw new HttpError(503, { error: 'gateway not started' });
        await dataPlane.refresh?.();
        sendJson(res, 200, statsJson(dataPlane, controller, this.#context.rates));
        return;
      }
      case 'POST /reload': {
        req.resume();
        const [status, body] = reloadBody(await controller.reload('admin'));
        sendJson(res, status, body);
        return;
      }
      case 'GET /api/routes': {
        const snapshot = controller.snapshot;
        if (snapshot === null) throw new HttpError(503, { error: 'no config loaded' });
        sendJson(res, 200, { routes: listRoutes(snapshot, controller.overrides) });
        return;
      }
      case 'GET /api/diffs': {
        const { status, body } = diffsSummary(this.#context.diffs?.() ?? null, url.searchParams.get('route'));
        sendJson(res, status, body);
        return;
      }
      case 'GET /api/services': {
        const services = controller.services;
        if (services === null) throw new HttpError(503, { error: 'no config loaded' });
        sendJson(res, 200, { services: listServices(services) });
        return;
      }
      default:
        sendJson(res, 404, { error: `no admin endpoint ${method} ${path}` });
    }
  }

  async #mirrorOverride(req: IncomingMessage, res: ServerResponse, routeId: string): Promise<void> {
    const { controller } = this.#context;
    const snapshot = controller.snapshot;
    if (snapshot === null) throw new HttpError(503, { error: 'no config loaded' });
    if (!listRoutes(snapshot, controller.overrides).some((r) => r.id === routeId)) {
      throw new HttpError(404, { error: `no route ${JSON.stringify(routeId)}; GET /api/routes lists them` });
    }
    if (req.method === 'DELETE') {
      req.resume();
      if (!controller.overrides.has(routeId)) throw new HttpError(404, { error: `route ${routeId} has no override` });
      const [status, body] = reloadBody(await controller.setOverride(routeId, null));
      sendJson(res, status, body);
      return;
    }
    if (req.method !== 'PUT') throw new HttpError(405, { error: 'use PUT or DELETE' });
    const parsed = mirrorOverrideBody.safeParse(await readJson(req));
    if (!parsed.success) {
      throw new HttpError(400, {
        errors: parsed.error.issues.map((issue) => ({
          code: 'INVALID_FIELD',
          field: issue.path.join('.'),
          message: issue.message,
        })),
      });
    }
    const [status, body] = reloadBody(await controller.setOverride(routeId, parsed.data));
    sendJson(res, status, body);
  }
}
