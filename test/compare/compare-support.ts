/**
 * Test support for response comparison: a snapshot whose mirrors carry `compare` settings (what a
 * MirrorPolicy compiles into), rebuilt from a compiled one, and JSON services with scripted answers.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { virtualHostTable } from '../../src/config/compile/listeners.ts';
import type { CompareSettings, MirrorExtensions } from '../../src/snapshot/mirror-extensions.ts';
import type { Snapshot } from '../../src/snapshot/types.ts';
import { listenOnLoopback } from '../support/listen.ts';

export const DEFAULT_COMPARE: CompareSettings = {
  maxBodyBytes: 256 * 1024,
  ignoreHeaders: [],
  ignorePaths: [],
  tolerance: { absolute: 0, relative: 0 },
  unorderedArrays: [],
  baselineCluster: null,
};

/** `snapshot` with `compare` on every mirror of every route (`null`: plain mirroring, no extensions). */
export function withCompare(snapshot: Snapshot, compare: Partial<CompareSettings> | null): Snapshot {
  const extensions: MirrorExtensions | null =
    compare === null
      ? null
      : { source: 'default/test', requestHeaders: null, authority: null, sampling: null, compare: { ...DEFAULT_COMPARE, ...compare }, capture: null };
  return {
    ...snapshot,
    listeners: snapshot.listeners.map((listener) => ({
      ...listener,
      virtualHosts: virtualHostTable(
        listener.virtualHosts.all.map((vh) => ({
          ...vh,
          routes: vh.routes.map((route) => (route.mirrors === null ? route : { ...route, mirrors: route.mirrors.map((m) => ({ ...m, extensions })) })),
        })),
      ),
    })),
  };
}

export interface ScriptedService {
  readonly port: number;
  count: number;
  close(): Promise<void>;
}

/** A loopback service answering each request with `answer(req, res)`. */
export async function scriptedService(answer: (req: IncomingMessage, res: ServerResponse, n: number) => void): Promise<ScriptedService> {
  const service = { port: 0, count: 0, close: async () => {} };
  const server = createServer((req, res) => {
    const n = service.count++;
    req.resume();
    req.on('end', () => answer(req, res, n));
  });
  const { port, close } = await listenOnLoopback(server);
  service.port = port;
  service.close = close;
  return service;
}

/** Answers `value` as JSON with a content-length. */
export function sendJson(res: ServerResponse, value: unknown, status = 200): void {
  const text = JSON.stringify(value);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}
