/**
 * The command line: commands, help, and how every way of ending maps to an exit code. Kept apart from
 * `main.ts` so it can be driven with any argv and streams.
 */
import { Command, CommanderError } from 'commander';
import { addConfigDumpCommand } from './config-dump.ts';
import { addDemoCommand } from './demo.ts';
import { EXIT_CODES_HELP, ExitCode } from './exit-codes.ts';
import type { CliIo } from './io.ts';
import { newOutcome } from './outcome.ts';
import { addReplayCommand } from './replay.ts';
import { addRunCommand } from './run.ts';
import { addValidateCommand } from './validate.ts';
import { packageVersion } from './version.ts';

/** Commander's codes for "help or version was shown", which are successes, not usage errors. */
const INFORMATIONAL = new Set(['commander.helpDisplayed', 'commander.help', 'commander.version']);

/** Parses `argv` (without node and script) and runs the command; resolves with the exit code. */
export async function runCli(argv: readonly string[], io: CliIo): Promise<ExitCode> {
  const outcome = newOutcome();
  const program = new Command('shadowgate')
    .description('An HTTP gateway configured with Istio resources, built around fire-and-forget traffic mirroring.')
    .version(packageVersion(), '-V, --version')
    // Settings made before .command() are inherited by every subcommand.
    .exitOverride()
    .showHelpAfterError('(add --help for usage)')
    .configureOutput({
      writeOut: (text) => io.stdout.write(text),
      writeErr: (text) => io.stderr.write(text),
    })
    .addHelpText('after', EXIT_CODES_HELP);
  addRunCommand(program, io, outcome);
  addValidateCommand(program, io, outcome);
  addConfigDumpCommand(program, io, outcome);
  addDemoCommand(program, io, outcome);
  addReplayCommand(program, io, outcome);

  if (argv.length === 0) {
    program.outputHelp({ error: true });
    return ExitCode.usage;
  }
  try {
    await program.parseAsync([...argv], { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError) {
      return INFORMATIONAL.has(error.code) ? ExitCode.ok : ExitCode.usage;
    }
    io.stderr.write(`shadowgate: unexpected failure: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    return ExitCode.runtimeFailure;
  }
  return outcome.code;
}
