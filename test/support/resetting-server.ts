/** An upstream that accepts connections and resets each one as soon as a request arrives. */
import { createServer } from 'node:net';
import { listenOnLoopback, type TestServer } from './listen.ts';

/**
 * Accepts, reads the first bytes of a request, then resets the connection (TCP RST), which a proxy
 * sees as a reset before any response: Envoy's `reset` / undici's `UND_ERR_SOCKET` / `ECONNRESET`.
 */
export async function resettingServer(host = '127.0.0.1'): Promise<TestServer> {
  let count = 0;
  const server = createServer((socket) => {
    socket.on('error', () => {});
    socket.once('data', () => {
      count += 1;
      socket.resetAndDestroy();
    });
  });
  const { port, close } = await listenOnLoopback(server, host);
  return {
    host,
    port,
    url: `http://${host}:${port}`,
    get count() {
      return count;
    },
    close,
  };
}
