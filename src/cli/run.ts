/** `shadowgate run`: load the config, serve it until SIGINT/SIGTERM. */
import type { Command } from 'commander';
import { Gateway } from '../gateway.ts';
import { EXIT_CODES_HELP, ExitCode } from './exit-codes.ts';
import { say, type CliIo } from './io.ts';
import { listeningLine } from './listener-text.ts';
import { countsText, loadConfig, printDiagnostics, type MirrorOverrides } from './load-config.ts';
import { nonNegativeInteger } from './options.ts';
import { failureText, type Outcome } from './outcome.ts';
import { aborted, onShutdownSignal } from './shutdown.ts';

export interface RunOptions {
  readonly config: string[];
  readonly mirrorMaxBodyBytes?: number;
  readonly mirrorTimeout?: number;
  readonly mirrorMaxInFlight?: number;
}

export function addRunCommand(program: Command, io: CliIo, outcome: Outcome): void {
  program
    .command('run')
    .description('Serve the configuration: bind the Gateway listeners and proxy (and mirror) traffic.')
    .requiredOption('-c, --config <paths...>', 'config files or directories (YAML/JSON); repeatable')
    .option('--mirror-max-body-bytes <n>', 'largest request body copied to a shadow; larger bodies skip the mirror', nonNegativeInteger)
    .option('--mirror-timeout <ms>', 'shadow request timeout when the route sets none', nonNegativeInteger)
    .option('--mirror-max-in-flight <n>', 'shadows in flight per mirror cluster; past it copies are dropped', nonNegativeInteger)
    .addHelpText(
      'after',
      `
Warnings are printed and the gateway starts; any error and it refuses to start (exit 1).
Ctrl-C or SIGTERM stops accepting, lets in-flight requests and shadows finish, and exits 0.

Example:
  shadowgate run -c examples/
${EXIT_CODES_HELP}`,
    )
    .action(async (opts: RunOptions) => {
      outcome.code = await run(opts, io);
    });
}

export async function run(opts: RunOptions, io: CliIo): Promise<ExitCode> {
  const overrides: MirrorOverrides = {
    ...(opts.mirrorMaxBodyBytes !== undefined && { maxBodyBytes: opts.mirrorMaxBodyBytes }),
    ...(opts.mirrorTimeout !== undefined && { defaultTimeoutMs: opts.mirrorTimeout }),
    ...(opts.mirrorMaxInFlight !== undefined && { maxInFlight: opts.mirrorMaxInFlight }),
  };
  let loaded;
  try {
    loaded = await loadConfig(opts.config, overrides);
  } catch (error) {
    say(io.stderr, `shadowgate: could not load the configuration: ${failureText(error)}`);
    return ExitCode.runtimeFailure;
  }
  printDiagnostics(loaded.diagnostics, io.stderr);
  if (loaded.snapshot === null || loaded.errors > 0) {
    say(io.stderr, `shadowgate: refusing to start, the config has ${countsText(loaded.errors, loaded.warnings)}`);
    return ExitCode.invalidConfig;
  }

  // Listen for signals before binding, so a Ctrl-C during start-up still shuts down cleanly.
  const shutdown = onShutdownSignal();
  try {
    let gateway: Gateway;
    try {
      gateway = await Gateway.start(loaded.snapshot);
    } catch (error) {
      say(io.stderr, `shadowgate: could not start: ${failureText(error)}`);
      return ExitCode.runtimeFailure;
    }
    const { mirror } = loaded.snapshot;
    say(io.stdout, `shadowgate ready (config ${loaded.snapshot.version}, ${countsText(loaded.errors, loaded.warnings)})`);
    say(io.stdout, `mirror: max body ${mirror.maxBodyBytes} bytes, timeout ${mirror.defaultTimeoutMs} ms, max in flight ${mirror.maxInFlight}`);
    for (const address of gateway.addresses()) say(io.stdout, listeningLine(address));

    await aborted(shutdown.signal);
    say(io.stdout, `received ${String(shutdown.signal.reason)}, draining and shutting down`);
    await gateway.close();
    say(io.stdout, 'stopped');
    return ExitCode.ok;
  } finally {
    shutdown.dispose();
  }
}
