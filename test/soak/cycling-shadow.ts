/**
 * The soak's shadow, run as a child process: `node cycling-shadow.ts SLOW_MS HUGE_BYTES`, told its
 * phase over IPC (`{ phase }`), answering `{ port }` once the phase is in place. Healthy answers at
 * once, slow after SLOW_MS, huge-body streams HUGE_BYTES (chunked, honouring backpressure), and dead
 * closes the port so connections are refused; the next phase listens on the same port again.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { ShadowPhase } from './soak.ts';

const slowMs = Number(process.argv[2] ?? 2000);
const hugeBytes = Number(process.argv[3] ?? 50 * 1024 * 1024);
const chunk = Buffer.alloc(64 * 1024, 0x73);
const sockets = new Set<Socket>();
let phase: ShadowPhase | 'starting' = 'starting';
let port = 0;
let server: Server | null = null;

function answer(req: IncomingMessage, res: ServerResponse): void {
  req.resume();
  if (phase === 'slow') {
    const timer = setTimeout(() => res.end('slow'), slowMs);
    res.on('close', () => clearTimeout(timer));
    return;
  }
  if (phase !== 'huge-body') {
    res.end('shadow');
    return;
  }
  let sent = 0;
  res.writeHead(200, { 'content-type': 'application/octet-stream' });
  const pump = (): void => {
    while (sent < hugeBytes && !res.destroyed) {
      sent += chunk.length;
      if (!res.write(chunk)) return void res.once('drain', pump);
    }
    if (!res.destroyed) res.end();
  };
  pump();
}

async function listen(): Promise<void> {
  const created = createServer(answer);
  created.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  created.on('clientError', (_error, socket) => socket.destroy());
  await new Promise<void>((resolve, reject) => {
    created.once('error', reject);
    created.listen(port, '127.0.0.1', () => resolve());
  });
  port = (created.address() as AddressInfo).port;
  server = created;
}

function close(): Promise<void> {
  const closing = server;
  server = null;
  if (closing === null) return Promise.resolve();
  return new Promise((resolve) => {
    closing.close(() => resolve());
    for (const socket of sockets) socket.destroy();
  });
}

process.on('message', async (message: { phase: ShadowPhase }) => {
  if (message.phase === 'dead') await close();
  else if (server === null) await listen();
  phase = message.phase;
  process.send!({ port });
});
process.on('SIGTERM', () => void close().then(() => process.exit(0)));
