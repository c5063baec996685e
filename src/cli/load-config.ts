/**
 * The CLI's one door into the config pipeline: build a snapshot from paths and print what the
 * pipeline had to say, every diagnostic on stderr in compiler style.
 */
import type { Command } from 'commander';
import { buildSnapshotFromPaths, formatDiagnostic, type ConfigDiagnostic, type ProxyIdentity } from '../config/index.ts';
import type { MirrorSettings, Snapshot } from '../snapshot/types.ts';
import { say } from './io.ts';
import { labelList, namespaceName } from './options.ts';

export type MirrorOverrides = Partial<MirrorSettings>;

export interface LoadedConfig {
  /** `null` when there were errors. */
  readonly snapshot: Snapshot | null;
  readonly diagnostics: readonly ConfigDiagnostic[];
  readonly errors: number;
  readonly warnings: number;
}

/** Options every command that compiles the config takes: who the gateway is, for `sourceLabels` and `sourceNamespace`. */
export interface IdentityOptions {
  readonly proxyLabels?: Record<string, string>;
  readonly proxyNamespace: string;
}

/** Adds `--proxy-labels` and `--proxy-namespace` to a command. */
export function addIdentityOptions(command: Command): Command {
  return command
    .option(
      '--proxy-labels <k=v,...>',
      "this gateway's own workload labels, matched by VirtualService match[].sourceLabels (repeatable; default none)",
      labelList,
    )
    .option('--proxy-namespace <namespace>', "this gateway's namespace, matched by match[].sourceNamespace", namespaceName, 'default');
}

/** The proxy identity the options describe. */
export function proxyIdentity(opts: IdentityOptions): ProxyIdentity {
  return { labels: opts.proxyLabels ?? {}, namespace: opts.proxyNamespace };
}

/** Builds the snapshot; the pipeline reports config problems as diagnostics, never by throwing. */
export async function loadConfig(
  paths: readonly string[],
  mirror: MirrorOverrides = {},
  identity?: ProxyIdentity,
  maxConfigFileBytes?: number,
): Promise<LoadedConfig> {
  const load = maxConfigFileBytes === undefined ? {} : { maxFileBytes: maxConfigFileBytes };
  const { snapshot, diagnostics } = await buildSnapshotFromPaths([...paths], { mirror, ...(identity !== undefined && { identity }) }, load);
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
