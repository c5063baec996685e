/** requestVia puts on the wire what the test asked for. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { requestVia, startEchoService } from './index.ts';

test('requestVia sends a Connection header with tokens exactly as written', async (t) => {
  const echo = await startEchoService({ name: 'hop' });
  t.after(() => echo.close());
  const res = await requestVia(`${echo.url}/headers`, {
    host: 'shop.example',
    headers: { connection: 'keep-alive, x-hop', 'x-hop': 'h' },
  });
  assert.equal(res.status, 200);
  assert.equal(echo.last?.headers.connection, 'keep-alive, x-hop');
  assert.equal(echo.last?.headers.host, 'shop.example');
});
