/** Ports for failure tests. */
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';

/**
 * A loopback port that was bound and then closed, so connecting to it is refused (ECONNREFUSED).
 * Another process could take it in between; on a test machine that window is negligible.
 */
export async function deadPort(host = '127.0.0.1'): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
