/**
 * A whole running gateway process, assembled: the config controller, the gateway it feeds, access
 * logs, metrics and the admin server. `shadowgate run` is this plus signals; tests start it directly.
 */
import type { AddressInfo } from 'node:net';
import { AccessLog, type AccessLogTarget } from '../access-log/access-log.ts';
import { AdminServer } from '../admin/server.ts';
import { formatDiagnostic, type CompileOptions, type ConfigDiagnostic } from '../config/index.ts';
import { Gateway, type GatewayOptions } from '../gateway.ts';
import { createMetricsRegistry } from '../metrics/gateway-metrics.ts';
import { RateTracker } from '../metrics/rates.ts';
import { GatewayController, type ReloadResult, type ReloadTrigger } from './controller.ts';

export interface RuntimeOptions {
  readonly paths: readonly string[];
  readonly compile?: Omit<CompileOptions, 'overrides'>;
  readonly statePath?: string | null;
  /** `null` runs without an admin server. */
  readonly admin: { readonly host: string; readonly port: number; readonly token: string | null } | null;
  readonly accessLog: AccessLogTarget;
  /** How long in-flight requests and shadows may take to finish on shutdown. */
  readonly drainTimeoutMs: number;
  /** Reload when a config file changes. */
  readonly watch: boolean;
  readonly gateway?: GatewayOptions;
  /** Operational messages (reloads, rejections), one line each. */
  readonly log?: (line: string) => void;
}

export type RuntimeStart =
  | { readonly ok: true; readonly runtime: GatewayRuntime; readonly diagnostics: readonly ConfigDiagnostic[] }
  | { readonly ok: false; readonly diagnostics: readonly ConfigDiagnostic[] };

export class GatewayRuntime {
  readonly controller: GatewayController;
  readonly gateway: Gateway;
  readonly adminAddress: AddressInfo | null;
  readonly #admin: AdminServer | null;
  readonly #accessLog: AccessLog;
  readonly #rates: RateTracker;
  readonly #drainTimeoutMs: number;
  #state: { ready: boolean };
  #stopping: Promise<void> | null = null;

  private constructor(parts: {
    controller: GatewayController;
    gateway: Gateway;
    admin: AdminServer | null;
    adminAddress: AddressInfo | null;
    accessLog: AccessLog;
    rates: RateTracker;
    drainTimeoutMs: number;
    state: { ready: boolean };
  }) {
    this.controller = parts.controller;
    this.gateway = parts.gateway;
    this.#admin = parts.admin;
    this.adminAddress = parts.adminAddress;
    this.#accessLog = parts.accessLog;
    this.#rates = parts.rates;
    this.#drainTimeoutMs = parts.drainTimeoutMs;
    this.#state = parts.state;
  }

  /**
   * Loads the config and starts everything. An invalid config resolves `{ok: false}` with its
   * diagnostics; a runtime failure (a port in use, an admin bind without a token) rejects.
   */
  static async start(options: RuntimeOptions): Promise<RuntimeStart> {
    const log = options.log ?? (() => {});
    const controller = new GatewayController({
      paths: options.paths,
      compile: options.compile,
      statePath: options.statePath ?? null,
      onReload: (result, trigger) => logReload(log, result, trigger),
    });
    const initial = await controller.initialLoad();
    if (initial.snapshot === null) return { ok: false, diagnostics: initial.diagnostics };

    const state = { ready: false };
    let gateway: Gateway | null = null;
    const accessLog = new AccessLog(options.accessLog);
    let admin: AdminServer | null = null;
    try {
      gateway = await Gateway.start(initial.snapshot, options.gateway);
      controller.attach(gateway);
      const started = gateway;
      const rates = new RateTracker(started.counters);
      rates.start();
      const registry = createMetricsRegistry({
        counters: started.counters,
        connections: () => started.connections(),
        config: () => ({
          version: controller.snapshot?.version ?? '',
          loadedAt: controller.snapshot?.loadedAt ?? '',
          reloads: controller.reloads,
          overrides: controller.overrides.size,
        }),
      });
      let adminAddress: AddressInfo | null = null;
      if (options.admin !== null) {
        admin = new AdminServer(
          { controller, gateway: () => started, registry, rates, ready: () => state.ready },
          options.admin,
        );
        adminAddress = await admin.listen();
      }
      if (options.watch) controller.watch();
      state.ready = true;
      const runtime = new GatewayRuntime({
        controller, gateway: started, admin, adminAddress, accessLog, rates, drainTimeoutMs: options.drainTimeoutMs, state,
      });
      return { ok: true, runtime, diagnostics: initial.diagnostics };
    } catch (error) {
      controller.close();
      await admin?.close();
      await gateway?.close(0);
      accessLog.close();
      throw error;
    }
  }

  get ready(): boolean {
    return this.#state.ready;
  }

  reload(trigger: ReloadTrigger): Promise<ReloadResult> {
    return this.controller.reload(trigger);
  }

  /** Reopens the access log file (SIGUSR1, after rotation). */
  reopenLogs(): void {
    this.#accessLog.reopen();
  }

  /**
   * Graceful stop: `/ready` turns 503, listeners stop accepting, in-flight requests and their shadows
   * get up to the drain timeout, then everything closes. Idempotent.
   */
  shutdown(): Promise<void> {
    this.#stopping ??= (async () => {
      this.#state.ready = false;
      this.controller.close();
      await this.gateway.close(this.#drainTimeoutMs);
      this.#rates.stop();
      await this.#admin?.close();
      this.#accessLog.close();
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
