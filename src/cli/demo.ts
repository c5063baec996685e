/** `shadowgate demo`: mirroring on loopback in one command (see src/demo/demo.ts). */
import type { Command } from 'commander';
import { formatDiagnostic } from '../config/index.ts';
import { runDemo } from '../demo/demo.ts';
import { EXIT_CODES_HELP, ExitCode } from './exit-codes.ts';
import { say, type CliIo } from './io.ts';
import { percentage, portNumber, positiveSeconds } from './options.ts';
import type { Outcome } from './outcome.ts';
import { onShutdownSignal } from './shutdown.ts';

export interface DemoCommandOptions {
  readonly port?: number;
  readonly adminPort?: number;
  readonly percentage: number;
  readonly duration?: number;
}

export function addDemoCommand(program: Command, io: CliIo, outcome: Outcome): void {
  program
    .command('demo')
    .description('Run a self-contained mirroring demo on 127.0.0.1: two echo services, a gateway, and traffic.')
    .option('--port <port>', 'gateway port (default: 8080, or a free port if 8080 is taken)', portNumber)
    .option('--admin-port <port>', 'admin server and dashboard port (default: 15000, or a free port if taken)', portNumber)
    .option('--percentage <pct>', 'share of /headers and /anything requests mirrored to the shadow', percentage, 50)
    .option('--duration <seconds>', 'stop by itself after this many seconds (default: run until Ctrl-C)', positiveSeconds)
    .addHelpText(
      'after',
      `
Everything listens on 127.0.0.1 and nothing is sent anywhere else. The first line printed is the
dashboard's URL: open it to watch the primary and the shadow side by side and change the mirror. The generated config is printed
(path) so you can read it or run it yourself with \`shadowgate run -c <path>\`.

Examples:
  shadowgate demo
  shadowgate demo --percentage 10 --duration 30
${EXIT_CODES_HELP}`,
    )
    .action(async (opts: DemoCommandOptions) => {
      outcome.code = await demo(opts, io);
    });
}

export async function demo(opts: DemoCommandOptions, io: CliIo): Promise<ExitCode> {
  const shutdown = onShutdownSignal();
  try {
    const signal =
      opts.duration === undefined
        ? shutdown.signal
        : AbortSignal.any([shutdown.signal, AbortSignal.timeout(opts.duration * 1000)]);
    const result = await runDemo({
      port: opts.port,
      adminPort: opts.adminPort,
      percentage: opts.percentage,
      signal,
      out: io.stdout as NodeJS.WritableStream & { isTTY?: boolean },
    });
    if (result.ok) return ExitCode.ok;
    const { error } = result;
    switch (error.code) {
      case 'DEMO_CONFIG_INVALID':
        for (const d of error.diagnostics) say(io.stderr, formatDiagnostic(d));
        say(io.stderr, 'shadowgate demo: the generated demo config is invalid (a shadowgate bug; please report it)');
        return ExitCode.invalidConfig;
      case 'DEMO_START_FAILED':
        say(io.stderr, `shadowgate demo: could not start: ${error.message}`);
        return ExitCode.runtimeFailure;
    }
  } finally {
    shutdown.dispose();
  }
}
