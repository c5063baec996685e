/**
 * The console's admin endpoints, for the admin server to route to:
 *
 * - `GET /dashboard` (and its `app.js`, `style.css`): the page; static, served without the token;
 * - `GET /api/timeseries[?route=ID][&since=EPOCH_SECONDS]`: the history as JSON;
 * - `GET /api/stream`: server-sent events, one `tick` per second.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ASSET_HEADERS, DASHBOARD_PATH, DashboardAssets } from './assets.ts';
import type { ConsoleState } from './dashboard-state.ts';

const assets = new DashboardAssets();

/** True for the dashboard's static files, which need no token (they carry no data). */
export function isDashboardAsset(method: string, path: string): boolean {
  return (method === 'GET' || method === 'HEAD') && (path === DASHBOARD_PATH || path.startsWith(`${DASHBOARD_PATH}/`));
}

function send(res: ServerResponse, status: number, type: string, body: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body), ...headers });
  res.end(body);
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  send(res, status, 'application/json', `${JSON.stringify(body)}\n`, { 'cache-control': 'no-store' });
}

export async function serveDashboardAsset(req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
  req.resume();
  const asset = await assets.get(path);
  if (asset === null) {
    send(res, 404, 'text/plain; charset=utf-8', `no dashboard file ${path}\n`);
    return;
  }
  send(res, 200, asset.type, req.method === 'HEAD' ? '' : asset.body, ASSET_HEADERS);
}

/** Answers the console's API paths; returns false for any other path. */
export function handleConsoleApi(state: ConsoleState | null, req: IncomingMessage, res: ServerResponse, url: URL): boolean {
  const path = url.pathname;
  if (path !== '/api/timeseries' && path !== '/api/stream') return false;
  req.resume();
  if (req.method !== 'GET') {
    sendJson(res, 405, { error: 'use GET' });
    return true;
  }
  if (state === null) {
    sendJson(res, 503, { error: 'the console history is not running' });
    return true;
  }
  if (path === '/api/stream') {
    state.subscribe(res);
    return true;
  }
  const route = url.searchParams.get('route');
  const sinceText = url.searchParams.get('since');
  const since = sinceText === null ? null : Number(sinceText);
  if (since !== null && !Number.isFinite(since)) {
    sendJson(res, 400, { errors: [{ code: 'INVALID_FIELD', field: 'since', message: 'must be epoch seconds' }] });
    return true;
  }
  // Milliseconds are accepted too: anything past the year 33658 in seconds is read as milliseconds.
  const sinceSeconds = since === null ? null : since > 1e12 ? Math.floor(since / 1000) : Math.floor(since);
  const body = state.timeseries(route, sinceSeconds);
  if (body === null) sendJson(res, 404, { error: `no route ${JSON.stringify(route)}; GET /api/routes lists them` });
  else sendJson(res, 200, body);
  return true;
}
