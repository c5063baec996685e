/**
 * A whole running gateway process, assembled: the config controller, the data plane it feeds (a
 * gateway in this process, or N workers under a supervisor), access logs, metrics and the admin
 * server. `shadowgate run` is this plus signals; tests start it directly.
 */
import type { AddressInfo } from 'node:net';
import { AccessLog, type AccessLogTarget } from '../access-log/access-log.ts';
import { AdminServer, type AdminOptions } from '../admin/server.ts';
import { ConsoleState } from '../console/dashboard-state.ts';
import { SamplerFeed, WorkerBucketFeed } from '../console/feeds.ts';
import { formatDiagnostic, type CompileOptions, type ConfigDiagnostic, type MirrorOverride } from '../config/index.ts';
import { ListenerBindError } from '../dataplane/bind-error.ts';
import { DiffStore } from '../compare/diff-store.ts';
import { Gateway, type GatewayOptions } from '../gateway.ts';
import { createMetricsRegistry } from '../metrics/gateway-metrics.ts';
import { RateTracker } from '../metrics/rates.ts';
import { GatewayCounters } from '../stats/counters.ts';
import { GatewayController, type ReloadResult, type ReloadTrigger } from './controller.ts';
import type { DataPlaneView } from './data-plane-view.ts';
import { WorkerSupervisor } from './workers/supervisor.ts';

export interface RuntimeOptions {
  readonly paths: readonly string[];
  /** `--max-config-file-bytes`. */
  readonly maxConfigFileBytes?: number;
  readonly compile?: Omit<CompileOptions, 'overrides'>;
  readonly statePath?: string | null;
  readonly initialOverrides?: ReadonlyMap<string, MirrorOverride>;
  /** `null` runs without an admin server. */
  readonly admin: AdminOptions | null;
  readonly accessLog: AccessLogTarget;
  /** How long in-flight requests and shadows may take to finish on shutdown. */
  readonly drainTimeoutMs: number;
  /** Reload when a config file changes. */
  readonly watch: boolean;
  /** Gateway worker processes; 0 or absent serves from this process. */
  readonly workers?: number;
  readonly gateway?: GatewayOptions;
  /** Response comparison results and limits (`--compare-store`, `--compare-max-samples`, `--compare-max-memory-bytes`). */
  readonly compare?: CompareRuntimeOptions;
  /** Operational messages (reloads, rejections, worker restarts), one line each. */
  readonly log?: (line: string) => void;
}

export interface CompareRuntimeOptions {
  /** A SQLite file the results go to (shared by workers), or null for memory. */
  readonly storePath: string | null;
  readonly maxSamples: number;
  readonly maxMemoryBytes: number;
}

const DEFAULT_COMPARE: CompareRuntimeOptions = { storePath: null, maxSamples: 1000, maxMemoryBytes: 64 * 1024 * 1024 };

/** Samples kept per route, mirror and kind of difference (the set of differing fields). */
const SAMPLES_PER_KIND = 5;

export type RuntimeStart =
  | { readonly ok: true; readonly runtime: GatewayRuntime; readonly diagnostics: readonly ConfigDiagnostic[] }
  | { readonly ok: false; readonly diagnostics: readonly ConfigDiagnostic[] };

interface Parts {
  readonly controller: GatewayController;
  readonly gateway: Gateway | null;
  readonly supervisor: WorkerSupervisor | null;
  readonly admin: AdminServer | null;
  readonly adminAddress: AddressInfo | null;
  readonly accessLog: AccessLog;
  readonly rates: RateTracker;
  readonly console: ConsoleState | null;
  readonly drainTimeoutMs: number;
  readonly state: { ready: boolean };
  readonly closeDiffs: () => void;
}

export class GatewayRuntime {
  readonly controller: GatewayController;
  /** The in-process gateway; `null` when workers serve. */
  readonly gateway: Gateway | null;
  readonly supervisor: WorkerSupervisor | null;
  readonly adminAddress: AddressInfo | null;
  readonly #parts: Parts;
  #stopping: Promise<void> | null = null;

  private constructor(parts: Parts) {
    this.#parts = parts;
    this.controller = parts.controller;
    this.gateway = parts.gateway;
    this.supervisor = parts.supervisor;
    this.adminAddress = parts.adminAddress;
  }

  /** What serves the traffic, as the admin server and metrics see it. */
  get dataPlane(): DataPlaneView {
    return (this.gateway ?? this.supervisor)!;
  }

  /**
   * Loads the config and starts everything. An invalid config resolves `{ok: false}` with its
   * diagnostics; a runtime failure rejects: a port in use with a `ListenerBindError` naming the
   * listener (admin, a Gateway's or the mesh one), an admin bind without a token.
   */
  static async start(options: RuntimeOptions): Promise<RuntimeStart> {
    const log = options.log ?? (() => {});
    const workers = options.workers ?? 0;
    let supervisor: WorkerSupervisor | null = null;
    const controller = new GatewayController({
      paths: options.paths,
      maxConfigFileBytes: options.maxConfigFileBytes,
      compile: options.compile,
      statePath: options.statePath ?? null,
      initialOverrides: options.initialOverrides,
      onReload: (result, trigger) => {
        logReload(log, result, trigger);
        // Workers compile the same files themselves; tell them when the supervisor's config changed.
        if (result.ok && result.changed) supervisor?.reload();
      },
    });
    const initial = await controller.initialLoad();
    if (initial.snapshot === null) return { ok: false, diagnostics: initial.diagnostics };

    const state = { ready: false };
    let gateway: Gateway | null = null;
    let dataPlane: DataPlaneView | null = null;
    // With workers, each worker writes the access log; the supervisor serves no traffic.
    const accessLog = new AccessLog(workers > 0 ? 'off' : options.accessLog);
    // The counters exist before the data plane, so the admin server can answer (503 on /ready) while
    // the listeners are still being bound.
    const counters = new GatewayCounters();
    const rates = new RateTracker(counters);
    const registry = createMetricsRegistry({
      counters,
      connections: () => dataPlane?.connections() ?? [],
      config: () => ({
        version: controller.snapshot?.version ?? '',
        loadedAt: controller.snapshot?.loadedAt ?? '',
        reloads: controller.reloads,
        overrides: controller.overrides.size,
      }),
    });
    const compare = options.compare ?? DEFAULT_COMPARE;
    // Opened on first use: by the comparator (in this process or a worker) or by GET /api/diffs.
    let store: DiffStore | null = null;
    const openStore = (): DiffStore =>
      (store ??= new DiffStore({ path: compare.storePath, maxSamples: compare.maxSamples, samplesPerKind: SAMPLES_PER_KIND }));
    // With workers and no file, the results live in each worker's memory: nothing here to read.
    const diffs = (): DiffStore | null => (workers > 0 && compare.storePath === null ? null : openStore());
    const closeDiffs = (): void => {
      store?.close();
      store = null;
    };
    let admin: AdminServer | null = null;
    // The dashboard's history: from this process's counters, or summed from the workers' buckets.
    const consoleState =
      options.admin === null
        ? null
        : new ConsoleState({
            controller,
            workers,
            feed: workers > 0 ? new WorkerBucketFeed({ collectHistory: (h) => supervisor?.collectHistory(h) ?? Promise.resolve() }) : new SamplerFeed(counters),
          });
    try {
      let adminAddress: AddressInfo | null = null;
      if (options.admin !== null) {
        const ready = (): boolean => state.ready && (supervisor?.ready ?? true);
        admin = new AdminServer({ controller, dataPlane: () => dataPlane, registry, rates, ready, console: consoleState, diffs }, options.admin);
        const at = options.admin;
        adminAddress = await admin.listen().catch((error: unknown) => {
          throw new ListenerBindError({ kind: 'admin', address: at.host, port: at.port }, error);
        });
      }
      if (workers > 0) {
        supervisor = new WorkerSupervisor({ count: workers, overrides: () => controller.overrides, log, counters });
        await supervisor.start();
        dataPlane = supervisor;
      } else {
        gateway = await Gateway.start(initial.snapshot, {
          ...options.gateway,
          counters,
          compare: { store: openStore, maxMemoryBytes: compare.maxMemoryBytes },
        });
        controller.attach(gateway);
        dataPlane = gateway;
      }
      rates.start();
      consoleState?.start();
      if (options.watch) controller.watch();
      state.ready = true;
      const runtime = new GatewayRuntime({
        controller, gateway, supervisor, admin, adminAddress, accessLog, rates, console: consoleState, drainTimeoutMs: options.drainTimeoutMs, state, closeDiffs,
      });
      return { ok: true, runtime, diagnostics: initial.diagnostics };
    } catch (error) {
      controller.close();
      rates.stop();
      consoleState?.stop();
      await admin?.close();
      await gateway?.close(0);
      await supervisor?.stop(0);
      accessLog.close();
      closeDiffs();
      throw error;
    }
  }

  get ready(): boolean {
    return this.#parts.state.ready;
  }

  reload(trigger: ReloadTrigger): Promise<ReloadResult> {
    return this.controller.reload(trigger);
  }

  /** Reopens the access log file (SIGUSR1, after rotation), in every worker too. */
  reopenLogs(): void {
    this.#parts.accessLog.reopen();
    this.supervisor?.reopenLogs();
  }

  /**
   * Graceful stop: `/ready` turns 503, listeners stop accepting, in-flight requests and their shadows
   * get up to the drain timeout, then everything closes. Idempotent.
   */
  shutdown(): Promise<void> {
    this.#stopping ??= (async () => {
      const parts = this.#parts;
      parts.state.ready = false;
      this.controller.close();
      await this.gateway?.close(parts.drainTimeoutMs);
      await this.supervisor?.stop(parts.drainTimeoutMs);
      parts.rates.stop();
      parts.console?.stop();
      await parts.admin?.close();
      parts.accessLog.close();
      parts.closeDiffs();
    })();
    return this.#stopping;
  }
}

function logReload(log: (line: string) => void, result: ReloadResult, trigger: ReloadTrigger): void {
  if (trigger === 'start') return;
  if (result.ok) {
    if (result.changed) log(`config ${result.version} applied (${trigger})`);
    return;
  }
  log(`config rejected (${trigger}), still serving the last good config:`);
  for (const d of result.diagnostics) log(`  ${formatDiagnostic(d)}`);
}
