/** An upstream that answers every request, but only after a delay: for timeout tests. */
import { createServer } from 'node:http';
import { listenOnLoopback, type TestServer } from './listen.ts';

/**
 * Reads the whole request, waits `ms`, then answers 200 with body `slow`. A client that gives up
 * first (a proxy timeout) cancels the reply; `count` still includes its request.
 */
export async function slowServer(ms: number, host = '127.0.0.1'): Promise<TestServer> {
  let count = 0;
  const server = createServer((req, res) => {
    count += 1;
    req.resume();
    req.on('end', () => {
      const timer = setTimeout(() => {
        res.writeHead(200, { 'content-type': 'text/plain', 'content-length': 4 });
        res.end('slow');
      }, ms);
      res.on('close', () => clearTimeout(timer));
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
