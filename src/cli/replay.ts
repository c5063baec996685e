/** `shadowgate replay`: send a capture's requests to a service and report what came back. */
import { InvalidArgumentError, type Command } from 'commander';
import cliProgress from 'cli-progress';
import { CaptureFileError, readCaptureFiles } from '../replay/capture-file.ts';
import { parseSpeed, type Pacing } from '../replay/pacing.ts';
import { quantile, replay, type ReplayResult } from '../replay/replayer.ts';
import { EXIT_CODES_HELP, ExitCode } from './exit-codes.ts';
import { say, type CliIo } from './io.ts';
import type { Outcome } from './outcome.ts';

interface ReplayCliOptions {
  readonly target: string;
  readonly rate?: number;
  readonly speed?: number;
  readonly concurrency: number;
  readonly compareStatus: boolean;
  readonly preserveHost: boolean;
  readonly dropRedacted: boolean;
  readonly timeout: number;
}

function positiveNumber(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('expected a number > 0.');
  return n;
}

function positiveInteger(value: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n <= 0) throw new InvalidArgumentError('expected a whole number > 0.');
  return n;
}

function speed(value: string): number {
  const factor = parseSpeed(value);
  if (factor === null) throw new InvalidArgumentError('expected a factor such as 2x or 0.5x.');
  return factor;
}

export function addReplayCommand(program: Command, io: CliIo, outcome: Outcome): void {
  program
    .command('replay')
    .description('Replay captured requests (JSON Lines of HAR entries, or a HAR file) against a service.')
    .argument('<files...>', 'capture files, replayed in the order given')
    .requiredOption('--target <url>', 'where to send them, e.g. http://127.0.0.1:8080 (a path is prefixed to every request)')
    .option('--rate <n>', 'requests per second (default: as fast as --concurrency allows)', positiveNumber)
    .option('--speed <factor>', 'follow the recorded timing, sped up (2x) or slowed down (0.5x)', speed)
    .option('--concurrency <n>', 'requests in flight at once', positiveInteger, 10)
    .option('--compare-status', 'count responses whose status differs from the recorded primary status; exit 1 if any', false)
    .option('--preserve-host', 'send the recorded Host instead of the target\'s', false)
    .option('--drop-redacted', 'leave out headers whose value was redacted, instead of sending REDACTED', false)
    .option('--timeout <ms>', 'per request', positiveInteger, 30_000)
    .addHelpText(
      'after',
      `
A progress bar is drawn on a terminal; otherwise progress is a plain line every 10%.
The summary gives status codes, errors and latency percentiles. With --compare-status, exit code 1
means some responses' status differs from the recorded one.

Example:
  shadowgate replay captures/checkout.jsonl --target http://127.0.0.1:9000 --rate 50 --compare-status
${EXIT_CODES_HELP}`,
    )
    .action(async (files: string[], opts: ReplayCliOptions) => {
      outcome.code = await replayCommand(files, opts, io);
    });
}

async function replayCommand(files: readonly string[], opts: ReplayCliOptions, io: CliIo): Promise<ExitCode> {
  if (opts.rate !== undefined && opts.speed !== undefined) {
    say(io.stderr, 'shadowgate: --rate and --speed pace the replay in different ways; give one of them');
    return ExitCode.usage;
  }
  let target: URL;
  try {
    target = new URL(opts.target);
    if (target.protocol !== 'http:' && target.protocol !== 'https:') throw new Error('not http(s)');
  } catch {
    say(io.stderr, `shadowgate: --target expects an http:// or https:// URL, got ${JSON.stringify(opts.target)}`);
    return ExitCode.usage;
  }
  let entries;
  try {
    entries = await readCaptureFiles(files);
  } catch (error) {
    if (!(error instanceof CaptureFileError)) throw error;
    say(io.stderr, `shadowgate: ${error.message}`);
    return ExitCode.usage;
  }
  const pacing: Pacing =
    opts.rate !== undefined ? { kind: 'rate', perSecond: opts.rate } : opts.speed !== undefined ? { kind: 'speed', factor: opts.speed } : { kind: 'unpaced' };
  const progress = progressReporter(entries.length, io);
  const result = await replay(entries, {
    target,
    pacing,
    concurrency: opts.concurrency,
    preserveHost: opts.preserveHost,
    dropRedacted: opts.dropRedacted,
    timeoutMs: opts.timeout,
    onProgress: progress.update,
  });
  progress.stop();
  for (const line of summaryLines(result, opts.compareStatus)) say(io.stdout, line);
  return opts.compareStatus && result.statusMismatches.length > 0 ? ExitCode.invalidConfig : ExitCode.ok;
}

function progressReporter(total: number, io: CliIo): { update: (done: number) => void; stop: () => void } {
  const stream = io.stderr as NodeJS.WriteStream;
  if (stream.isTTY === true) {
    const bar = new cliProgress.SingleBar(
      { stream, format: 'replaying [{bar}] {percentage}% | {value}/{total} | {eta_formatted} left', hideCursor: true },
      cliProgress.Presets.shades_classic,
    );
    bar.start(total, 0);
    return { update: (done) => bar.update(done), stop: () => bar.stop() };
  }
  let reported = 0;
  return {
    update: (done) => {
      const tenth = Math.floor((done * 10) / Math.max(1, total));
      if (tenth > reported) {
        reported = tenth;
        say(io.stderr, `replayed ${done}/${total}`);
      }
    },
    stop: () => {},
  };
}

/** The end-of-run report, plain lines. */
export function summaryLines(result: ReplayResult, compareStatus: boolean): string[] {
  const answered = result.latenciesMs.length;
  const ms = (q: number) => quantile(result.latenciesMs, q).toFixed(1);
  const lines = [
    `replayed ${result.sent} requests in ${(result.elapsedMs / 1000).toFixed(2)} s (${((result.sent * 1000) / Math.max(1, result.elapsedMs)).toFixed(1)} req/s)`,
    `statuses: ${[...result.statuses].sort(([a], [b]) => a - b).map(([status, n]) => `${status} × ${n}`).join(', ') || 'none'}`,
  ];
  if (result.errors.size > 0) lines.push(`errors: ${[...result.errors].map(([code, n]) => `${code} × ${n}`).join(', ')}`);
  if (answered > 0) lines.push(`latency ms: p50 ${ms(0.5)}, p90 ${ms(0.9)}, p99 ${ms(0.99)}, max ${ms(1)}`);
  if (compareStatus) {
    lines.push(`status differs from the recorded primary: ${result.statusMismatches.length} of ${result.comparedStatuses} compared`);
    for (const m of result.statusMismatches.slice(0, 10)) lines.push(`  ${m.recorded} → ${m.replayed}  ${m.url}`);
  }
  return lines;
}
