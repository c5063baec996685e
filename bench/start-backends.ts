/**
 * The bench's backends as a child process (bench/backends.ts), and the free loopback ports the
 * contenders listen on. Shared by `npm run bench` and `npm run bench:instructions`.
 */
import * as net from 'node:net';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { BackendCounts, BackendName, BackendPorts } from './backends.ts';
import { startProcess, stopProcess, waitFor } from './child.ts';
import type { Backends } from './measure.ts';
import { REPO_ROOT } from './shadowgate.ts';

/** Ports handed out by `freePort` during this run, so the dead shadow's port is never reused. */
const handedOut = new Set<number>();

/** A port the OS just handed out, nothing listens on any more, and this run has not used. */
export async function freePort(): Promise<number> {
  for (;;) {
    const port = await anyFreePort();
    if (!handedOut.has(port)) {
      handedOut.add(port);
      return port;
    }
  }
}

function anyFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

export async function startBackends(cpus: string | null): Promise<{ backends: Backends; stop: () => Promise<void> }> {
  const started = startProcess('backends', process.execPath, [join(REPO_ROOT, 'bench', 'backends.ts')], { cpus, stdinPipe: true });
  const announced = await waitFor(
    () => {
      if (started.hasExited()) throw new Error(`the backends exited:\n${started.output()}`);
      const line = started.output().split('\n').find((l) => l.startsWith('{"control"'));
      return line === undefined ? null : (JSON.parse(line) as BackendPorts);
    },
    10_000,
    'the backends to listen',
  );
  const control = `http://127.0.0.1:${announced.control}`;
  const backends: Backends = {
    ports: announced.ports,
    closedPort: await freePort(),
    pid: started.pid,
    async stats() {
      const res = await fetch(`${control}/stats`);
      return ((await res.json()) as { stats: Record<BackendName, BackendCounts> }).stats;
    },
    async reset() {
      await (await fetch(`${control}/reset`, { method: 'POST' })).text();
    },
  };
  return { backends, stop: () => stopProcess(started) };
}
