/**
 * The CLI's one door into the config pipeline: build a snapshot from paths and print what the
 * pipeline had to say, every diagnostic on stderr in compiler style.
 */
import type { Command } from 'commander';
import { buildSnapshotFromPaths, formatDiagnostic, type ConfigDiagnostic, type MeshListenerAddress, type ProxyIdentity } from '../config/index.ts';
import type { MirrorSettings, Snapshot } from '../snapshot/types.ts';
import { say } from './io.ts';
import { hostPort, labelList, namespaceName } from './options.ts';

export type MirrorOverrides = Partial<MirrorSettings>;

export interface LoadedConfig {
  /** `null` when there were errors. */
  readonly snapshot: Snapshot | null;
  readonly diagnostics: readonly ConfigDiagnostic[];
  readonly errors: number;
  readonly warnings: number;
}

/**
 * Options every command that compiles the config takes: who the gateway is, for `sourceLabels` and
 * `sourceNamespace`, and whether it serves mesh routes.
 */
export interface IdentityOptions {
  readonly proxyLabels?: Record<string, string>;
  readonly proxyNamespace: string;
  readonly meshListener?: MeshListenerAddress;
}

/** Adds `--proxy-labels`, `--proxy-namespace` and `--mesh-listener` to a command. */
export function addIdentityOptions(command: Command): Command {
  return command
    .option(
      '--mesh-listener <host:port>',
      'also serve mesh-bound VirtualServices (no gateways, or mesh) and every ServiceEntry as a sidecar would, on this plain HTTP listener (default off)',
      hostPort,
    )
    .option(
      '--proxy-labels <k=v,...>',
      "this gateway's own workload labels, matched by VirtualService match[].sourceLabels (repeatable; default none)",
      labelList,
    )
    .option(
      '--proxy-namespace <namespace>',
      "this gateway's namespace, matched by match[].sourceNamespace; on the mesh listener, where a bare service name (httpbin:8000) resolves",
      namespaceName,
      'default',
    );
}

/** The proxy identity the options describe. */
export function proxyIdentity(opts: IdentityOptions): ProxyIdentity {
  return { labels: opts.proxyLabels ?? {}, namespace: opts.proxyNamespace };
}

/** What the commands that read a config (`validate`, `config-dump`) may set. */
export interface LoadConfigOptions {
  readonly mirror?: MirrorOverrides;
  readonly identity?: ProxyIdentity;
  readonly meshListener?: MeshListenerAddress;
  readonly maxConfigFileBytes?: number;
}

/** Builds the snapshot; the pipeline reports config problems as diagnostics, never by throwing. */
export async function loadConfig(
  paths: readonly string[],
  options: LoadConfigOptions = {},
): Promise<LoadedConfig> {
  const { snapshot, diagnostics } = await buildSnapshotFromPaths(
    [...paths],
    {
      mirror: options.mirror ?? {},
      ...(options.identity !== undefined && { identity: options.identity }),
      ...(options.meshListener !== undefined && { meshListener: options.meshListener }),
    },
    options.maxConfigFileBytes === undefined ? {} : { maxFileBytes: options.maxConfigFileBytes },
  );
  const errors = diagnostics.filter((d) => d.severity === 'error').length;
  return { snapshot, diagnostics, errors, warnings: diagnostics.length - errors };
}

/** Prints every diagnostic, in the pipeline's order (by file and position). */
export function printDiagnostics(diagnostics: readonly ConfigDiagnostic[], stderr: NodeJS.WritableStream): void {
  for (const d of diagnostics) say(stderr, formatDiagnostic(d));
}

/** `2 errors, 1 warning`. */
export function countsText(errors: number, warnings: number): string {
  return `${plural(errors, 'error')}, ${plural(warnings, 'warning')}`;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}
