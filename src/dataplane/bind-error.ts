/**
 * A socket that could not be bound, naming what it was for: a Gateway listener and the servers it
 * came from, the mesh listener, or the admin listener. Node's own error (`listen EADDRINUSE: address
 * already in use 127.0.0.1:8080`) says neither, and with several listeners a user cannot tell which
 * port to free.
 */
import type { Listener, ListenerServer, SourceRef } from '../snapshot/types.ts';

/** What was being bound. */
export type BindTarget =
  | { readonly kind: 'listener'; readonly listener: Listener }
  | { readonly kind: 'admin'; readonly address: string; readonly port: number };

/** The code of every bind failure, whichever process saw it. */
export const BIND_FAILED = 'SG_BIND_FAILED';

export class ListenerBindError extends Error {
  readonly code = BIND_FAILED;
  /** The listener's name, or `admin`. */
  readonly listener: string;
  readonly address: string;
  readonly port: number;
  /** The system's code (`EADDRINUSE`, `EACCES`, ...), or `''` when the error had none. */
  readonly reason: string;
  /** The first Gateway server of the listener, so a rejected reload can point at its YAML. */
  readonly source: SourceRef | null;

  constructor(target: BindTarget, cause: unknown) {
    const address = target.kind === 'admin' ? target.address : target.listener.address;
    const port = target.kind === 'admin' ? target.port : target.listener.port;
    const reason = errnoCode(cause);
    super(`could not bind ${bindWhat(target, hostPort(address, port))}: ${reasonText(reason, cause)}`, { cause });
    this.listener = target.kind === 'admin' ? 'admin' : target.listener.name;
    this.address = address;
    this.port = port;
    this.reason = reason;
    this.source = target.kind === 'listener' ? (target.listener.sources[0] ?? null) : null;
  }
}

/** A bind failure a worker process reported (`--workers`): its message, which names the listener. */
export class WorkerBindError extends Error {
  readonly code = BIND_FAILED;
}

/** Whether an error is a bind failure, in this process or a worker's. */
export function isBindFailure(error: unknown): error is Error & { readonly code: typeof BIND_FAILED } {
  return error instanceof Error && (error as { code?: unknown }).code === BIND_FAILED;
}

function bindWhat(target: BindTarget, at: string): string {
  if (target.kind === 'admin') return `the admin listener ${at}`;
  const listener = target.listener;
  if (listener.matchPortInHost === true) return `${at} for the mesh listener ${listener.name} (--mesh-listener)`;
  const servers = listener.servers ?? [];
  const origin = servers.length > 0 ? serversText(servers) : listener.gateways.map((g) => `Gateway ${g}`).join('; ');
  return `${at} for listener ${listener.name}${origin === '' ? '' : ` (${origin})`}`;
}

/** `Gateway default/edge, server http; Gateway default/other, servers web and api`. */
function serversText(servers: readonly ListenerServer[]): string {
  const byGateway = new Map<string, string[]>();
  for (const s of servers) {
    const names = byGateway.get(s.gateway) ?? [];
    if (!byGateway.has(s.gateway)) byGateway.set(s.gateway, names);
    names.push(s.server);
  }
  return [...byGateway]
    .map(([gateway, names]) => `Gateway ${gateway}, ${names.length === 1 ? 'server' : 'servers'} ${names.slice(0, -1).join(', ')}${names.length > 1 ? ' and ' : ''}${names.at(-1)}`)
    .join('; ');
}

function hostPort(address: string, port: number): string {
  return address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
}

function errnoCode(error: unknown): string {
  const code = error !== null && typeof error === 'object' && 'code' in error ? (error as { code: unknown }).code : undefined;
  return typeof code === 'string' ? code : '';
}

function reasonText(code: string, cause: unknown): string {
  switch (code) {
    case 'EADDRINUSE':
      return 'address already in use';
    case 'EACCES':
      return 'permission denied (ports below 1024 need privileges)';
    case 'EADDRNOTAVAIL':
      return 'address not available (no interface of this host has it)';
    default:
      return cause instanceof Error ? cause.message : String(cause);
  }
}
