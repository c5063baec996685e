/**
 * Child processes the bench starts (backends, nginx, shadowgate, wrk): optional CPU pinning, output
 * captured for error messages, and a stop that ends exactly what was started, by PID.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { processTree } from './proc.ts';

export interface Started {
  readonly name: string;
  readonly child: ChildProcess;
  readonly pid: number;
  /** Everything written to stdout and stderr so far (the last 64 KiB). */
  output(): string;
  /** Resolves with the exit code (or signal name) once the process has exited. */
  readonly exited: Promise<number | string>;
  /** True once it exited. */
  hasExited(): boolean;
}

const live = new Set<Started>();
const TASKSET = existsSync('/usr/bin/taskset') ? '/usr/bin/taskset' : null;

/** Whether `taskset` is available to pin processes to CPUs. */
export const canPin = TASKSET !== null;

/** A command to run a process under, such as `valgrind --tool=callgrind ...`; empty for none. */
export type Wrapper = readonly string[];

/** How long a process may take to start: valgrind makes node's start-up about 50 times slower. */
export function startupTimeoutMs(normalMs: number, wrapper: Wrapper): number {
  return wrapper.length === 0 ? normalMs : 300_000;
}

/** `cpus` is a taskset list (`1`, `0,2-3`) or null for no pinning. */
export function startProcess(name: string, command: string, args: readonly string[], options: {
  readonly cpus: string | null;
  readonly cwd?: string;
  readonly onOutput?: (text: string) => void;
  /** Keep stdin open as a pipe (the backends stop when it closes). */
  readonly stdinPipe?: boolean;
  readonly wrapper?: Wrapper;
}): Started {
  const commandLine = [...(options.wrapper ?? []), command, ...args];
  const [file, argv] = options.cpus !== null && TASKSET !== null ? [TASKSET, ['-c', options.cpus, ...commandLine]] : [commandLine[0]!, commandLine.slice(1)];
  // taskset and valgrind run the command in their own process, so the PID is the command's own.
  const child = spawn(file, argv, { cwd: options.cwd, stdio: [options.stdinPipe === true ? 'pipe' : 'ignore', 'pipe', 'pipe'] });
  let output = '';
  let exited = false;
  const onChunk = (chunk: Buffer): void => {
    const text = chunk.toString('utf8');
    output = (output + text).slice(-65_536);
    options.onOutput?.(text);
  };
  child.stdout!.on('data', onChunk);
  child.stderr!.on('data', onChunk);
  const started: Started = {
    name,
    child,
    pid: child.pid ?? -1,
    output: () => output,
    exited: new Promise((resolve) => {
      child.on('exit', (code, signal) => {
        exited = true;
        live.delete(started);
        resolve(code ?? signal ?? 'unknown');
      });
      child.on('error', (error) => {
        exited = true;
        live.delete(started);
        output += `\n${error.message}`;
        resolve('spawn-error');
      });
    }),
    hasExited: () => exited,
  };
  live.add(started);
  return started;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Sends `signal`, waits up to `graceMs`, then SIGKILLs the process and any descendants still alive
 * (found before the first signal, so only processes this bench started are touched).
 */
export async function stopProcess(started: Started, signal: NodeJS.Signals = 'SIGTERM', graceMs = 5_000): Promise<void> {
  if (started.hasExited()) return;
  const tree = processTree(started.pid);
  started.child.kill(signal);
  const done = await Promise.race([started.exited.then(() => true), sleep(graceMs).then(() => false)]);
  if (!done) started.child.kill('SIGKILL');
  for (const pid of tree) {
    if (pid === started.pid) continue;
    try {
      process.kill(pid, 0);
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  await started.exited;
}

/** Stops every process still running (on the way out, or on Ctrl-C). */
export async function stopAll(): Promise<void> {
  await Promise.all([...live].map((s) => stopProcess(s, 'SIGTERM', 3_000)));
}

/** Polls `check` every 50 ms until it returns a value, or throws after `timeoutMs`. */
export async function waitFor<T>(check: () => T | null | undefined | Promise<T | null | undefined>, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== null && value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(50);
  }
}

export { sleep };
