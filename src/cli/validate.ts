/** `shadowgate validate`: check config files without starting anything; for CI and editors. */
import type { Command } from 'commander';
import { EXIT_CODES_HELP, ExitCode } from './exit-codes.ts';
import { say, type CliIo } from './io.ts';
import { addIdentityOptions, countsText, loadConfig, printDiagnostics, proxyIdentity, type IdentityOptions, type LoadConfigOptions } from './load-config.ts';
import { MAX_CONFIG_FILE_BYTES_FLAG, MAX_CONFIG_FILE_BYTES_HELP, nonNegativeInteger } from './options.ts';
import { failureText, type Outcome } from './outcome.ts';

export function addValidateCommand(program: Command, io: CliIo, outcome: Outcome): void {
  const command = program
    .command('validate')
    .description('Check configuration: print every error and warning, exit 1 if there is any error.')
    .requiredOption('-c, --config <paths...>', 'config files or directories (YAML/JSON, read recursively); repeatable')
    .option(MAX_CONFIG_FILE_BYTES_FLAG, MAX_CONFIG_FILE_BYTES_HELP, nonNegativeInteger);
  addIdentityOptions(command)
    .addHelpText(
      'after',
      `
Diagnostics go to stderr, one per line: FILE:LINE:COL SEVERITY KIND NS/NAME FIELD: MESSAGE [CODE].
The summary line goes to stdout when the config is valid, to stderr when it is not.

Example:
  shadowgate validate -c examples/ -c extra/virtual-service.yaml
${EXIT_CODES_HELP}`,
    )
    .action(async (opts: { config: string[]; maxConfigFileBytes?: number } & IdentityOptions) => {
      outcome.code = await validate(opts.config, io, {
        identity: proxyIdentity(opts),
        ...(opts.meshListener !== undefined && { meshListener: opts.meshListener }),
        ...(opts.maxConfigFileBytes !== undefined && { maxConfigFileBytes: opts.maxConfigFileBytes }),
      });
    });
}

export async function validate(paths: readonly string[], io: CliIo, options: LoadConfigOptions = {}): Promise<ExitCode> {
  let loaded;
  try {
    loaded = await loadConfig(paths, options);
  } catch (error) {
    say(io.stderr, `shadowgate: could not validate the configuration: ${failureText(error)}`);
    return ExitCode.runtimeFailure;
  }
  printDiagnostics(loaded.diagnostics, io.stderr);
  const counts = countsText(loaded.errors, loaded.warnings);
  if (loaded.snapshot === null || loaded.errors > 0) {
    say(io.stderr, `config is invalid: ${counts}`);
    return ExitCode.invalidConfig;
  }
  const { listeners, clusters } = loaded.snapshot;
  say(io.stdout, `config is valid: ${listeners.length} listener(s), ${clusters.size} cluster(s); ${counts}`);
  return ExitCode.ok;
}
