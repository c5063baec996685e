/**
 * The gateway's control loop: where snapshots come from and when they change. It loads the config
 * files, compiles them with the runtime mirror overrides, and hands each good snapshot to the gateway;
 * a bad one is recorded (errors, time, counters) and the gateway keeps serving the last good config.
 * Reloads run one at a time; requests arriving while one waits its turn coalesce into it.
 */
import { statSync, watch, type FSWatcher } from 'node:fs';
import {
  compileLoaded,
  compileSnapshot,
  validateMirrorOverride,
  type CompileOptions,
  type ConfigDiagnostic,
  type MirrorOverride,
  type RawResource,
  type ServiceRegistry,
} from '../config/index.ts';
import { loadResources } from '../config/load.ts';
import { ListenerBindError } from '../dataplane/bind-error.ts';
import type { Gateway } from '../gateway.ts';
import type { Snapshot } from '../snapshot/types.ts';
import { OverrideStore } from './override-store.ts';

export type ReloadTrigger = 'start' | 'watch' | 'signal' | 'admin' | 'override';

export interface RejectedConfig {
  readonly at: string;
  readonly trigger: ReloadTrigger;
  readonly diagnostics: readonly ConfigDiagnostic[];
}

export type ReloadResult =
  | { readonly ok: true; readonly version: string; readonly changed: boolean; readonly warnings: readonly ConfigDiagnostic[] }
  | { readonly ok: false; readonly diagnostics: readonly ConfigDiagnostic[] };

export interface ControllerEvents {
  onReload?(result: ReloadResult, trigger: ReloadTrigger): void;
}

export interface ControllerOptions extends ControllerEvents {
  readonly paths: readonly string[];
  /** Mirror and proxy settings from the command line. */
  readonly compile?: Omit<CompileOptions, 'overrides'>;
  /** Where overrides persist across restarts; without it they live in memory only. */
  readonly statePath?: string | null;
  /** Overrides to start with (a worker gets its supervisor's). */
  readonly initialOverrides?: ReadonlyMap<string, MirrorOverride>;
  /** `--max-config-file-bytes`. */
  readonly maxConfigFileBytes?: number;
}

/** The last good config: what the gateway serves, and what overrides are checked against. */
interface GoodConfig {
  readonly resources: readonly RawResource[];
  readonly snapshot: Snapshot;
  readonly services: ServiceRegistry;
}

export class GatewayController {
  readonly #options: ControllerOptions;
  readonly #overrides: OverrideStore;
  #gateway: Gateway | null = null;
  #good: GoodConfig | null = null;
  #rejected: RejectedConfig | null = null;
  #reloads = { success: 0, failure: 0 };
  #queue: Promise<unknown> = Promise.resolve();
  /** A reload queued behind other work that has not started yet; later reloads join it. */
  #waitingReload: Promise<ReloadResult> | null = null;
  #watchers: FSWatcher[] = [];
  #watchTimer: NodeJS.Timeout | null = null;

  constructor(options: ControllerOptions) {
    this.#options = options;
    this.#overrides = new OverrideStore(options.statePath ?? null);
  }

  /** Loads and compiles the config for start-up; the caller starts the gateway with the snapshot. */
  async initialLoad(): Promise<{ snapshot: Snapshot | null; diagnostics: readonly ConfigDiagnostic[] }> {
    await this.#overrides.load();
    if (this.#options.initialOverrides !== undefined) await this.#overrides.replace(this.#options.initialOverrides);
    const built = await this.#build();
    if (built.good === null) {
      this.#reloads.failure++;
      return { snapshot: null, diagnostics: built.diagnostics };
    }
    this.#good = built.good;
    this.#reloads.success++;
    return { snapshot: built.good.snapshot, diagnostics: built.diagnostics };
  }

  /** Connects the started gateway; from now on good snapshots are applied to it. */
  attach(gateway: Gateway): void {
    this.#gateway = gateway;
  }

  get snapshot(): Snapshot | null {
    return this.#good?.snapshot ?? null;
  }

  get services(): ServiceRegistry | null {
    return this.#good?.services ?? null;
  }

  get rejected(): RejectedConfig | null {
    return this.#rejected;
  }

  get reloads(): { readonly success: number; readonly failure: number } {
    return { ...this.#reloads };
  }

  get overrides(): ReadonlyMap<string, MirrorOverride> {
    return this.#overrides.all;
  }

  get persistsOverrides(): boolean {
    return this.#overrides.persistent;
  }

  /**
   * Re-reads the config files and applies them if they compile. A reload asked for while another is
   * waiting its turn joins that one (it has not read the files yet), so a burst of file events and
   * POST /reload calls costs one compile, not one each.
   */
  reload(trigger: ReloadTrigger): Promise<ReloadResult> {
    if (this.#waitingReload !== null) return this.#waitingReload;
    const reload = this.#serialized(async () => {
      this.#waitingReload = null;
      const built = await this.#build();
      return this.#adopt(built, trigger);
    });
    this.#waitingReload = reload;
    return reload;
  }

  /** Re-reads the config files with a whole new set of overrides (a worker following its supervisor). */
  reloadWithOverrides(overrides: ReadonlyMap<string, MirrorOverride>, trigger: ReloadTrigger): Promise<ReloadResult> {
    return this.#serialized(async () => {
      await this.#overrides.replace(overrides);
      return this.#adopt(await this.#build(), trigger);
    });
  }

  /**
   * Sets (or with `null`, removes) the runtime mirror policy of a route, checked with the same rules as
   * a VirtualService mirror, and applies it at once. The override is kept only if it applies.
   */
  setOverride(routeId: string, override: MirrorOverride | null): Promise<ReloadResult> {
    return this.#serialized(async () => {
      const good = this.#good;
      if (good === null) return { ok: false, diagnostics: [] };
      if (override !== null) {
        const problems = validateMirrorOverride(routeId, override, good.services).filter((d) => d.severity === 'error');
        if (problems.length > 0) return { ok: false, diagnostics: problems };
      }
      const next = new Map(this.#overrides.all);
      if (override === null) next.delete(routeId);
      else next.set(routeId, override);
      const compiled = this.#compile(good.resources, next);
      // Stored first, so whoever hears about the reload (workers) reads the new overrides.
      const previous = this.#overrides.all;
      if (compiled.good !== null) await this.#overrides.replace(next);
      const result = await this.#adopt(compiled, 'override');
      if (!result.ok && compiled.good !== null) await this.#overrides.replace(previous);
      return result;
    });
  }

  /** Watches the config paths; changes are debounced and reloaded. */
  watch(debounceMs = 250): void {
    const schedule = (): void => {
      if (this.#watchTimer !== null) clearTimeout(this.#watchTimer);
      this.#watchTimer = setTimeout(() => {
        this.#watchTimer = null;
        void this.reload('watch');
      }, debounceMs);
      this.#watchTimer.unref();
    };
    for (const path of this.#options.paths) {
      try {
        // Directories are read recursively, so they are watched recursively too.
        const watcher = watch(path, { persistent: false, recursive: isDirectory(path) }, schedule);
        watcher.on('error', () => {});
        this.#watchers.push(watcher);
      } catch {
        // A path that cannot be watched is still reloaded by SIGHUP and POST /reload.
      }
    }
  }

  close(): void {
    for (const watcher of this.#watchers) watcher.close();
    this.#watchers = [];
    if (this.#watchTimer !== null) clearTimeout(this.#watchTimer);
  }

  #serialized<T>(work: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(work, work);
    this.#queue = run.catch(() => {});
    return run;
  }

  async #build(): Promise<{ good: GoodConfig | null; diagnostics: ConfigDiagnostic[] }> {
    const loaded = await loadResources(this.#options.paths, { maxFileBytes: this.#options.maxConfigFileBytes });
    // One pass reports every stage's problems (a load error does not hide the compile's).
    const built = compileLoaded(loaded, this.#options.paths, { ...this.#options.compile, overrides: this.#overrides.all });
    if (built.snapshot === null) return { good: null, diagnostics: built.diagnostics };
    return { good: { resources: loaded.resources, snapshot: built.snapshot, services: built.services }, diagnostics: built.diagnostics };
  }

  #compile(
    resources: readonly RawResource[],
    overrides: ReadonlyMap<string, MirrorOverride>,
  ): { good: GoodConfig | null; diagnostics: ConfigDiagnostic[] } {
    const result = compileSnapshot(resources, { ...this.#options.compile, overrides });
    if (result.snapshot === null) return { good: null, diagnostics: result.diagnostics };
    return { good: { resources, snapshot: result.snapshot, services: result.services }, diagnostics: result.diagnostics };
  }

  async #adopt(
    built: { good: GoodConfig | null; diagnostics: readonly ConfigDiagnostic[] },
    trigger: ReloadTrigger,
  ): Promise<ReloadResult> {
    let result: ReloadResult;
    if (built.good === null) {
      result = { ok: false, diagnostics: built.diagnostics.filter((d) => d.severity === 'error') };
    } else {
      const changed = built.good.snapshot.version !== this.#good?.snapshot.version;
      try {
        if (changed) await this.#gateway?.apply(built.good.snapshot);
        this.#good = built.good;
        result = { ok: true, version: built.good.snapshot.version, changed, warnings: built.diagnostics };
      } catch (error) {
        // Binding a new listener can fail (port taken); the gateway kept the old snapshot.
        result = { ok: false, diagnostics: [applyFailure(error)] };
      }
    }
    if (result.ok) {
      this.#reloads.success++;
    } else {
      this.#reloads.failure++;
      this.#rejected = { at: new Date().toISOString(), trigger, diagnostics: result.diagnostics };
    }
    this.#options.onReload?.(result, trigger);
    return result;
  }
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/** A reload that compiled but could not be applied; a listener that could not bind points at its Gateway server. */
function applyFailure(error: unknown): ConfigDiagnostic {
  const source = error instanceof ListenerBindError ? error.source : null;
  return {
    severity: 'error',
    file: source?.file ?? '<apply>',
    line: source?.line ?? 0,
    column: source?.column ?? 0,
    kind: source?.kind ?? 'Gateway',
    namespace: source?.namespace ?? '',
    name: source?.name ?? '',
    field: 'spec.servers',
    message: `could not apply the new config: ${error instanceof Error ? error.message : String(error)}`,
    code: 'APPLY_FAILED',
  };
}
