/**
 * The floor for any Node.js gateway: a plain node:http server relaying to an undici Pool, with an
 * optional fire-and-forget copy to a shadow, and nothing else (no routing, no config, no counters, no
 * header passes, no retries, no timeouts). Whatever shadowgate costs above this row is its own; what
 * this row costs above nginx is the runtime's. Run by bench/node-floor.ts as a contender.
 *
 * Usage: node bench/node-floor-server.ts PORT PRIMARY_PORT [SHADOW_PORT]
 */
// The same server constructor shadowgate uses (loaded with require, see src/platform/node-http.ts).
import { createServer } from '../src/platform/node-http.ts';
import { Pool, type Dispatcher } from 'undici';

const [port, primaryPort, shadowPort] = process.argv.slice(2).map(Number);
const primary = new Pool(`http://127.0.0.1:${primaryPort}`, { connections: 1024, headersTimeout: 0, bodyTimeout: 0 });
const shadow = shadowPort ? new Pool(`http://127.0.0.1:${shadowPort}`, { connections: 1024, headersTimeout: 0, bodyTimeout: 0 }) : null;

const discard: Dispatcher.DispatchHandler = {
  onRequestStart() {},
  onResponseStart() {},
  onResponseData() {},
  onResponseEnd() {},
  onResponseError() {},
};

const server = createServer({ keepAliveTimeout: 60_000 }, (req, res) => {
  const headers = { ...req.headers } as Record<string, string>;
  delete headers.connection;
  if (shadow !== null) {
    shadow.dispatch({ method: req.method!, path: req.url!, headers: { ...headers, host: `${headers.host}-shadow` } }, discard);
  }
  primary.dispatch(
    { method: req.method!, path: req.url!, headers, body: req.method === 'GET' ? null : req },
    {
      onRequestStart() {},
      onResponseStart(_controller, status, responseHeaders) {
        delete responseHeaders.connection;
        delete responseHeaders['keep-alive'];
        res.writeHead(status, responseHeaders as Record<string, string>);
      },
      onResponseData(_controller, chunk) {
        res.write(chunk);
      },
      onResponseEnd() {
        res.end();
      },
      onResponseError() {
        if (!res.headersSent) res.writeHead(502);
        res.end();
      },
    },
  );
});
server.listen(port, '127.0.0.1', () => console.log(`listening on http://127.0.0.1:${port}`));
process.on('SIGTERM', () => process.exit(0));
process.on('SIGINT', () => process.exit(0));
