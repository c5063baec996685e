/** `shadowgate config-dump`: the admin `/config_dump` JSON, offline, without binding anything. */
import type { Command } from 'commander';
import { renderConfigDump } from '../admin/config-dump.ts';
import { EXIT_CODES_HELP, ExitCode } from './exit-codes.ts';
import { say, type CliIo } from './io.ts';
import { addIdentityOptions, countsText, loadConfig, printDiagnostics, proxyIdentity, type IdentityOptions, type LoadConfigOptions } from './load-config.ts';
import { MAX_CONFIG_FILE_BYTES_FLAG, MAX_CONFIG_FILE_BYTES_HELP, nonNegativeInteger } from './options.ts';
import { failureText, type Outcome } from './outcome.ts';

export function addConfigDumpCommand(program: Command, io: CliIo, outcome: Outcome): void {
  const command = program
    .command('config-dump')
    .description("Print the compiled config in Envoy's config-dump shape (as GET /config_dump), without starting listeners.")
    .requiredOption('-c, --config <paths...>', 'config files or directories (YAML/JSON, read recursively); repeatable')
    .option(MAX_CONFIG_FILE_BYTES_FLAG, MAX_CONFIG_FILE_BYTES_HELP, nonNegativeInteger);
  addIdentityOptions(command)
    .addHelpText(
      'after',
      `
The JSON goes to stdout; diagnostics go to stderr. Listeners configured with port 0 show port 0.

Example:
  shadowgate config-dump -c examples/cross-cluster-mirror | jq '.configs[3]'
${EXIT_CODES_HELP}`,
    )
    .action(async (opts: { config: string[]; maxConfigFileBytes?: number } & IdentityOptions) => {
      outcome.code = await configDump(opts.config, io, {
        identity: proxyIdentity(opts),
        ...(opts.meshListener !== undefined && { meshListener: opts.meshListener }),
        ...(opts.maxConfigFileBytes !== undefined && { maxConfigFileBytes: opts.maxConfigFileBytes }),
      });
    });
}

export async function configDump(paths: readonly string[], io: CliIo, options: LoadConfigOptions = {}): Promise<ExitCode> {
  let loaded;
  try {
    loaded = await loadConfig(paths, options);
  } catch (error) {
    say(io.stderr, `shadowgate: could not load the configuration: ${failureText(error)}`);
    return ExitCode.runtimeFailure;
  }
  printDiagnostics(loaded.diagnostics, io.stderr);
  if (loaded.snapshot === null || loaded.errors > 0) {
    say(io.stderr, `config is invalid: ${countsText(loaded.errors, loaded.warnings)}`);
    return ExitCode.invalidConfig;
  }
  const { snapshot } = loaded;
  io.stdout.write(JSON.stringify(renderConfigDump(snapshot, { version: snapshot.version, loadedAt: snapshot.loadedAt }), null, 2) + '\n');
  return ExitCode.ok;
}
