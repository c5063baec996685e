/** Whether a TCP port can be bound right now: the demo prefers 8080 but must not fail when it is taken. */
import { createServer } from 'node:net';

/**
 * Binds and releases `host:port`. Another process may take the port between this check and the real
 * bind; the gateway's bind failure then reports it, which is good enough for a demo.
 */
export function isPortFree(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen({ host, port, exclusive: true }, () => server.close(() => resolve(true)));
  });
}
