/**
 * Access logs: one JSON line per downstream request and one per shadow request (`"mirror": true`),
 * written by pino to an asynchronous destination so logging never blocks the data plane. A file is
 * appended to and reopened on `reopen()` (SIGUSR1), so logrotate can move it away.
 */
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import pino, { type DestinationStream, type Logger } from 'pino';
import { type AccessEvent, accessEvents } from '../dataplane/events.ts';

export type AccessLogTarget = 'stdout' | 'stderr' | 'off' | string;

/** The line written for one event; field names follow Envoy's JSON access-log conventions. */
export function accessLogRecord(event: AccessEvent): Record<string, unknown> {
  return {
    start_time: new Date(event.startTime).toISOString(),
    mirror: event.kind === 'mirror',
    request_id: event.requestId,
    method: event.method,
    path: event.path,
    authority: event.authority,
    listener: event.listener,
    route_name: event.routeId || '-',
    upstream_cluster: event.cluster || '-',
    upstream_host: event.endpoint || '-',
    response_code: event.status,
    response_flags: event.flags || '-',
    duration_ms: Math.round(event.durationMs * 1000) / 1000,
    bytes_received: event.bytesIn,
    bytes_sent: event.bytesOut,
    attempts: event.attempts,
  };
}

export class AccessLog {
  readonly #destination: (DestinationStream & { reopen?: () => void; flushSync?: () => void; end?: () => void }) | null;
  readonly #logger: Logger | null;
  readonly #onEvent = (message: unknown): void => {
    this.#logger!.info(accessLogRecord(message as AccessEvent));
  };

  constructor(target: AccessLogTarget) {
    if (target === 'off') {
      this.#destination = null;
      this.#logger = null;
      return;
    }
    const dest = target === 'stdout' ? 1 : target === 'stderr' ? 2 : target;
    // Asynchronous writes, flushed as soon as the event loop allows: no minLength, or a quiet gateway
    // would hold its last lines in memory.
    this.#destination = pino.destination({ dest, sync: false, append: true, mkdir: typeof dest === 'string' });
    this.#logger = pino(
      {
        base: null,
        timestamp: false,
        // An access log line has no level; pino's level slot names the log type instead.
        formatters: { level: () => ({ log: 'access' }) },
      },
      this.#destination,
    );
    subscribe(accessEvents.name, this.#onEvent);
  }

  /** Reopens the file (after rotation); a no-op for stdout, stderr and off. */
  reopen(): void {
    this.#destination?.reopen?.();
  }

  /** Stops logging and flushes what is buffered. */
  close(): void {
    if (this.#logger === null) return;
    unsubscribe(accessEvents.name, this.#onEvent);
    try {
      this.#destination?.flushSync?.();
    } catch {
      // A destination not yet ready has nothing buffered to lose.
    }
    this.#destination?.end?.();
  }
}
