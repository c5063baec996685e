/**
 * The worker side of `--workers N`: a gateway without an admin server of its own, following its
 * supervisor over IPC (reloads with the supervisor's overrides, counter requests, log reopening,
 * shutdown). If the supervisor goes away, the worker drains and exits rather than serve unsupervised.
 */
import { formatDiagnostic, type MirrorOverride } from '../../config/index.ts';
import { History } from '../../console/history.ts';
import { CounterSampler } from '../../console/sampler.ts';
import { isBindFailure } from '../../dataplane/bind-error.ts';
import { dumpCounters } from '../../stats/aggregate.ts';
import { GatewayRuntime, type RuntimeOptions } from '../runtime.ts';
import { isMessage, OVERRIDES_ENV, type FromWorker, type ToWorker } from './messages.ts';

function send(message: FromWorker): void {
  process.send?.(message);
}

/** A worker keeps only the seconds its supervisor has not collected yet (it asks every second). */
const WORKER_HISTORY_SECONDS = 30;

/** Starts the worker's gateway; resolves with the exit code once it has shut down. */
export async function runWorker(options: Omit<RuntimeOptions, 'admin' | 'watch' | 'statePath'>): Promise<number> {
  const initial = new Map<string, MirrorOverride>(JSON.parse(process.env[OVERRIDES_ENV] ?? '[]'));
  let started;
  try {
    started = await GatewayRuntime.start({ ...options, admin: null, watch: false, statePath: null, initialOverrides: initial });
  } catch (error) {
    if (!isBindFailure(error)) throw error;
    // The supervisor stops starting and reports it, rather than restart a worker that cannot bind.
    send({ type: 'sg:bind-failed', message: error.message });
    return 3;
  }
  if (!started.ok) {
    // The supervisor validated this config a moment ago; the files changed in between.
    for (const d of started.diagnostics) options.log?.(formatDiagnostic(d));
    return 1;
  }
  const { runtime } = started;
  const gateway = runtime.gateway!;
  const history = new History(WORKER_HISTORY_SECONDS);
  const sampler = new CounterSampler(gateway.counters, history);
  sampler.start();
  let stopped: () => void = () => {};
  const done = new Promise<void>((resolve) => (stopped = resolve));
  const shutdown = (): void => {
    sampler.stop();
    void runtime.shutdown().then(stopped);
  };
  process.on('message', (message: unknown) => {
    if (!isMessage<ToWorker>(message)) return;
    switch (message.type) {
      case 'sg:reload':
        void runtime.controller.reloadWithOverrides(new Map(message.overrides), 'signal').then((result) =>
          send(result.ok ? { type: 'sg:applied', version: result.version } : { type: 'sg:rejected', messages: result.diagnostics.map(formatDiagnostic) }),
        );
        return;
      case 'sg:stats':
        send({ type: 'sg:stats', id: message.id, counters: dumpCounters(gateway.counters), connections: gateway.connections() });
        return;
      case 'sg:history':
        send({ type: 'sg:history', id: message.id, through: history.through, rows: history.dumpAfter(message.after) });
        return;
      case 'sg:reopen-logs':
        runtime.reopenLogs();
        return;
      case 'sg:shutdown':
        shutdown();
        return;
    }
  });
  process.on('disconnect', shutdown);
  // The terminal's Ctrl-C reaches the whole process group; the supervisor decides when workers stop.
  process.on('SIGINT', () => {});
  process.on('SIGTERM', () => {});
  send({ type: 'sg:ready', version: runtime.controller.snapshot!.version, addresses: gateway.addresses() });
  await done;
  return 0;
}
