/** Runs wrk (bounded by its own `-d`, and killed if it overstays) and parses its report. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startProcess, stopProcess, sleep } from './child.ts';

export interface WrkResult {
  readonly requests: number;
  readonly seconds: number;
  readonly requestsPerSecond: number;
  /** Milliseconds. */
  readonly p50Ms: number;
  readonly p99Ms: number;
  /** Socket errors (connect + read + write + timeout) plus non-2xx/3xx responses. */
  readonly errors: number;
  readonly socketErrors: { connect: number; read: number; write: number; timeout: number };
  readonly non2xx: number;
}

export interface WrkOptions {
  readonly url: string;
  readonly connections: number;
  readonly threads: number;
  readonly durationSeconds: number;
  /** Request Host header (wrk otherwise sends the URL's host:port). */
  readonly host: string;
  /** A POST body of this many bytes, sent with a Lua script; null for GET. */
  readonly postBytes: number | null;
  readonly cpus: string | null;
  /** Where to write the Lua script. */
  readonly workDir: string;
}

function toMs(text: string): number {
  const match = /^([\d.]+)(us|ms|s|m)$/.exec(text.trim());
  if (match === null) return Number.NaN;
  const value = Number(match[1]);
  switch (match[2]) {
    case 'us':
      return value / 1000;
    case 'ms':
      return value;
    case 's':
      return value * 1000;
    default:
      return value * 60_000;
  }
}

/** Parses wrk's text report (with `--latency`). */
export function parseWrk(text: string): WrkResult {
  const total = /(\d+) requests in ([\d.]+)(us|ms|s|m)/.exec(text);
  const rps = /Requests\/sec:\s+([\d.]+)/.exec(text);
  const p50 = /^\s+50%\s+(\S+)/m.exec(text);
  const p99 = /^\s+99%\s+(\S+)/m.exec(text);
  if (total === null || rps === null || p50 === null || p99 === null) {
    throw new Error(`could not parse wrk output:\n${text}`);
  }
  const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(text);
  const socketErrors = {
    connect: Number(socket?.[1] ?? 0),
    read: Number(socket?.[2] ?? 0),
    write: Number(socket?.[3] ?? 0),
    timeout: Number(socket?.[4] ?? 0),
  };
  const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(text)?.[1] ?? 0);
  return {
    requests: Number(total[1]),
    seconds: toMs(`${total[2]}${total[3]}`) / 1000,
    requestsPerSecond: Number(rps[1]),
    p50Ms: toMs(p50[1]!),
    p99Ms: toMs(p99[1]!),
    errors: socketErrors.connect + socketErrors.read + socketErrors.write + socketErrors.timeout + non2xx,
    socketErrors,
    non2xx,
  };
}

function luaScript(postBytes: number | null): string {
  const lines = [];
  if (postBytes !== null) {
    lines.push('wrk.method = "POST"');
    lines.push(`wrk.body = string.rep("x", ${postBytes})`);
    lines.push('wrk.headers["Content-Type"] = "application/octet-stream"');
  }
  return `${lines.join('\n')}\n`;
}

/** One wrk run. Throws when wrk fails or its output cannot be parsed. */
export async function runWrk(options: WrkOptions): Promise<WrkResult> {
  const args = [
    `-t${options.threads}`,
    `-c${options.connections}`,
    `-d${options.durationSeconds}s`,
    '--latency',
    '-H',
    `Host: ${options.host}`,
  ];
  if (options.postBytes !== null) {
    const script = join(options.workDir, `post-${options.postBytes}.lua`);
    writeFileSync(script, luaScript(options.postBytes));
    args.push('-s', script);
  }
  args.push(options.url);
  const wrk = startProcess('wrk', 'wrk', args, { cpus: options.cpus });
  // wrk stops by itself after -d; this only guards against a wedged run.
  const guard = sleep((options.durationSeconds + 20) * 1000).then(() => 'timeout' as const);
  const outcome = await Promise.race([wrk.exited, guard]);
  if (outcome === 'timeout') {
    await stopProcess(wrk, 'SIGKILL', 1000);
    throw new Error(`wrk did not finish within ${options.durationSeconds + 20} s`);
  }
  if (outcome !== 0) throw new Error(`wrk exited with ${outcome}:\n${wrk.output()}`);
  return parseWrk(wrk.output());
}
