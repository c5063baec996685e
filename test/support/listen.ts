/** Listening and closing plumbing shared by the test servers. */
import type { AddressInfo, Server, Socket } from 'node:net';

/** A loopback server a test points an upstream at. */
export interface TestServer {
  readonly host: string;
  readonly port: number;
  /** `http://HOST:PORT`. */
  readonly url: string;
  /** Requests (or, for servers that never parse HTTP, connections that sent data) seen so far. */
  readonly count: number;
  close(): Promise<void>;
}

/** Listens on `host:0`; returns the port and a close that also destroys open sockets. */
export async function listenOnLoopback(
  server: Server,
  host = '127.0.0.1',
): Promise<{ port: number; close: () => Promise<void> }> {
  const sockets = new Set<Socket>();
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const close = () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      for (const socket of sockets) socket.destroy();
    });
  return { port, close };
}
