/**
 * Request smuggling: every way of making the gateway and a backend disagree on where a request ends
 * (RFC 9112 §6.1-6.3, §7.1). Each probe must be refused outright, never forwarded in any form to the
 * primary or to the 100% shadow, and the gateway must keep serving.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { assertRejected, type ProbeCase, startHostileGateway } from './harness.ts';

const H = 'Host: app.test\r\n';
const SMUGGLED = 'GET /smuggled HTTP/1.1\r\nHost: app.test\r\n\r\n';

const cases: readonly ProbeCase[] = [
  // Content-Length and Transfer-Encoding together (§6.1: a server MAY reject; a proxy must not forward both).
  { name: 'CL.TE: Content-Length then chunked', raw: `POST /a HTTP/1.1\r\n${H}Content-Length: 6\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n${SMUGGLED}`, expect: 400 },
  { name: 'TE.CL: chunked then Content-Length', raw: `POST /a HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\nContent-Length: 4\r\n\r\n2d\r\n${SMUGGLED}\r\n0\r\n\r\n`, expect: 400 },
  // Two lengths (§6.3 item 5).
  { name: 'CL.CL: two different Content-Length lines', raw: `POST /a HTTP/1.1\r\n${H}Content-Length: 0\r\nContent-Length: 45\r\n\r\n${SMUGGLED}`, expect: 400 },
  { name: 'CL.CL: the same Content-Length twice', raw: `POST /a HTTP/1.1\r\n${H}Content-Length: 45\r\nContent-Length: 45\r\n\r\n${SMUGGLED}`, expect: 400 },
  { name: 'Content-Length as a list', raw: `POST /a HTTP/1.1\r\n${H}Content-Length: 45, 0\r\n\r\n${SMUGGLED}`, expect: 400 },
  { name: 'Content-Length with a sign', raw: `POST /a HTTP/1.1\r\n${H}Content-Length: +45\r\n\r\n${SMUGGLED}`, expect: 400 },
  { name: 'Content-Length in hex', raw: `POST /a HTTP/1.1\r\n${H}Content-Length: 0x2d\r\n\r\n${SMUGGLED}`, expect: 400 },
  { name: 'Content-Length with an inner space', raw: `POST /a HTTP/1.1\r\n${H}Content-Length: 4 5\r\n\r\n${SMUGGLED}`, expect: 400 },
  { name: 'negative Content-Length', raw: `POST /a HTTP/1.1\r\n${H}Content-Length: -1\r\n\r\n${SMUGGLED}`, expect: 400 },
  // Obfuscated Transfer-Encoding: a coding the gateway does not read as chunked must not be forwarded.
  { name: 'TE: xchunked', raw: `POST /a HTTP/1.1\r\n${H}Transfer-Encoding: xchunked\r\n\r\n2d\r\n${SMUGGLED}\r\n0\r\n\r\n`, expect: 400 },
  { name: 'TE: chunked, identity (chunked not last)', raw: `POST /a HTTP/1.1\r\n${H}Transfer-Encoding: chunked, identity\r\n\r\n0\r\n\r\n${SMUGGLED}`, expect: 400 },
  { name: 'TE: identity', raw: `POST /a HTTP/1.1\r\n${H}Transfer-Encoding: identity\r\n\r\n${SMUGGLED}`, expect: 400 },
  { name: 'TE: quoted "chunked"', raw: `POST /a HTTP/1.1\r\n${H}Transfer-Encoding: "chunked"\r\n\r\n0\r\n\r\n${SMUGGLED}`, expect: 400 },
  { name: 'TE: space before the colon', raw: `POST /a HTTP/1.1\r\n${H}Transfer-Encoding : chunked\r\n\r\n0\r\n\r\n${SMUGGLED}`, expect: 400 },
  { name: 'TE: folded onto the previous line (obs-fold)', raw: `POST /a HTTP/1.1\r\n${H}X-A: 1\r\n Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n${SMUGGLED}`, expect: 400 },
  { name: 'TE: value folded onto a second line', raw: `POST /a HTTP/1.1\r\n${H}Transfer-Encoding:\r\n chunked\r\n\r\n0\r\n\r\n${SMUGGLED}`, expect: 400 },
  { name: 'TE: vertical tab before the value', raw: `POST /a HTTP/1.1\r\n${H}Transfer-Encoding:\x0bchunked\r\n\r\n0\r\n\r\n${SMUGGLED}`, expect: 400 },
  { name: 'TE: chunked then identity on two lines', raw: `POST /a HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\nTransfer-Encoding: identity\r\n\r\n0\r\n\r\n${SMUGGLED}`, expect: 400 },
  { name: 'TE: chunked twice (chunked applied more than once)', raw: `POST /a HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n${SMUGGLED}`, expect: 400 },
  { name: 'TE with Content-Length in HTTP/1.0', raw: `POST /a HTTP/1.0\r\n${H}Transfer-Encoding: chunked\r\nContent-Length: 4\r\n\r\n0\r\n\r\n${SMUGGLED}`, expect: 400 },
  // Chunk framing (§7.1).
  { name: 'chunk size not hex', raw: `POST /a HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\nzz\r\n${SMUGGLED}\r\n0\r\n\r\n`, expect: 400 },
  { name: 'negative chunk size', raw: `POST /a HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n-2d\r\n${SMUGGLED}\r\n0\r\n\r\n`, expect: 400 },
  { name: 'chunk size with 0x prefix', raw: `POST /a HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n0x2d\r\n${SMUGGLED}\r\n0\r\n\r\n`, expect: 400 },
  { name: 'chunk size overflowing 64 bits', raw: `POST /a HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n1ffffffffffffffff\r\n${SMUGGLED}\r\n0\r\n\r\n`, expect: 400 },
  { name: 'chunk size followed by a space', raw: `POST /a HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n2d \r\n${SMUGGLED}\r\n0\r\n\r\n`, expect: 400 },
  { name: 'chunk data longer than its size', raw: `POST /a HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n3\r\nabc${SMUGGLED}\r\n0\r\n\r\n`, expect: 400, abortedPrefix: true },
  { name: 'chunk extension with a bare LF', raw: `POST /a HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n2d;ext=1\n${SMUGGLED}\r\n0\r\n\r\n`, expect: 400 },
  { name: 'chunk extension with a NUL', raw: `POST /a HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n2d;e\x00=1\r\n${SMUGGLED}\r\n0\r\n\r\n`, expect: 400 },
];

describe('request smuggling and framing', async () => {
  test('each probe is refused and nothing reaches a backend', async (t) => {
    const gw = await startHostileGateway(t);
    for (const c of cases) await t.test(c.name, () => assertRejected(gw, c));
  });
});

test('a chunk broken after the head went upstream: the connection closes, the upstream copies are cut, nothing past the break', async (t) => {
  const gw = await startHostileGateway(t);
  const since = gw.mark();
  const { openRaw, firstStatus } = await import('../support/raw-socket.ts');
  const { waitFor } = await import('../support/wait-for.ts');
  const conn = await openRaw(gw.port);
  conn.socket.write(`POST /a HTTP/1.1\r\n${H}Transfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n`);
  await waitFor(() => gw.primary.bytes().includes('abc') && gw.shadow.bytes().includes('abc'), {
    description: 'the head and first chunk were streamed to both backends',
  });
  conn.socket.write(`zz\r\n${SMUGGLED}\r\n0\r\n\r\n`);
  await conn.whenClosed;
  // The recording backend answers as soon as it has a head, so the 200 may already be relayed (then
  // the connection is reset); had it not, the exchange answers 400.
  assert.ok([200, 400].includes(firstStatus(conn.received())), conn.received());
  await gw.assertOnlyFollowUpForwarded(since, 'broken chunk mid-stream', true);
});
