/**
 * Malformed request lines, headers and authorities (RFC 9112 §2-5, RFC 9110 §4.2, §7.2): each probe is
 * answered with the expected status (or a close), nothing reaches the primary or the 100% shadow, and
 * the gateway keeps serving.
 */
import { describe, test } from 'node:test';
import { assertRejected, type ProbeCase, startHostileGateway } from './harness.ts';

const H = 'Host: app.test\r\n';
const BIG = 'a'.repeat(70 * 1024);

const requestLines: readonly ProbeCase[] = [
  // Node's parser passes HTTP/2.0 and HTTP/0.9 on (the gateway answers 505) and rejects other versions itself.
  { name: 'HTTP/2.0 in an HTTP/1 request line', raw: `GET /smuggled HTTP/2.0\r\n${H}\r\n`, expect: 505 },
  { name: 'HTTP/1.2', raw: `GET /smuggled HTTP/1.2\r\n${H}\r\n`, expect: 400 },
  { name: 'HTTP/3.0', raw: `GET /smuggled HTTP/3.0\r\n${H}\r\n`, expect: 400 },
  { name: 'HTTP/0.9 simple request (no version)', raw: 'GET /smuggled\r\n\r\n', expect: 505 },
  { name: 'HTTP/0.9 version token', raw: `GET /smuggled HTTP/0.9\r\n${H}\r\n`, expect: 505 },
  { name: 'the HTTP/2 connection preface', raw: 'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', expect: 400 },
  { name: 'lower-case protocol name', raw: `GET /smuggled http/1.1\r\n${H}\r\n`, expect: 400 },
  { name: 'extra token after the version', raw: `GET /smuggled HTTP/1.1 extra\r\n${H}\r\n`, expect: 400 },
  { name: 'method with a separator', raw: `GE(T /smuggled HTTP/1.1\r\n${H}\r\n`, expect: 400 },
  { name: 'CONNECT (authority-form)', raw: `CONNECT app.test:443 HTTP/1.1\r\n${H}\r\n`, expect: 'closed' },
  { name: 'asterisk-form', raw: `OPTIONS * HTTP/1.1\r\n${H}\r\n`, expect: 400 },
  { name: 'a target that is not a path', raw: `GET smuggled HTTP/1.1\r\n${H}\r\n`, expect: 400 },
  { name: 'space inside the path', raw: `GET /smuggled path HTTP/1.1\r\n${H}\r\n`, expect: 400 },
  { name: 'tab inside the path', raw: `GET /smuggled\tpath HTTP/1.1\r\n${H}\r\n`, expect: 400 },
  { name: 'NUL inside the path', raw: `GET /smuggled\x00 HTTP/1.1\r\n${H}\r\n`, expect: 400 },
  // The CRLF ends the request line early, leaving an HTTP/0.9 line.
  { name: 'CRLF injected in the path', raw: `GET /a\r\nX-Injected: smuggled HTTP/1.1\r\n${H}\r\n`, expect: 505 },
  { name: 'a fragment in the target', raw: `GET /a#smuggled HTTP/1.1\r\n${H}\r\n`, expect: 400 },
  { name: 'a request line over 60 KiB', raw: `GET /smuggled/${BIG} HTTP/1.1\r\n${H}\r\n`, expect: 431 },
];

const headerLines: readonly ProbeCase[] = [
  { name: 'bare LF line endings', raw: 'GET /smuggled HTTP/1.1\nHost: app.test\n\n', expect: 400 },
  { name: 'bare CR line endings', raw: 'GET /smuggled HTTP/1.1\rHost: app.test\r\r', expect: 400 },
  { name: 'bare LF inside a header block', raw: `GET /smuggled HTTP/1.1\r\n${H}X-A: 1\nX-B: 2\r\n\r\n`, expect: 400 },
  { name: 'bare CR inside a header value', raw: `GET /smuggled HTTP/1.1\r\n${H}X-A: 1\rX-B: 2\r\n\r\n`, expect: 400 },
  { name: 'obs-fold continuation line', raw: `GET /smuggled HTTP/1.1\r\n${H}X-A: 1\r\n 2\r\n\r\n`, expect: 400 },
  { name: 'NUL in a header value', raw: `GET /smuggled HTTP/1.1\r\n${H}X-A: a\x00b\r\n\r\n`, expect: 400 },
  { name: 'control character in a header value', raw: `GET /smuggled HTTP/1.1\r\n${H}X-A: a\x01b\r\n\r\n`, expect: 400 },
  { name: 'DEL in a header value', raw: `GET /smuggled HTTP/1.1\r\n${H}X-A: a\x7fb\r\n\r\n`, expect: 400 },
  { name: 'space inside a header name', raw: `GET /smuggled HTTP/1.1\r\n${H}X A: 1\r\n\r\n`, expect: 400 },
  { name: 'empty header name', raw: `GET /smuggled HTTP/1.1\r\n${H}: 1\r\n\r\n`, expect: 400 },
  { name: 'header name with a separator', raw: `GET /smuggled HTTP/1.1\r\n${H}X(A): 1\r\n\r\n`, expect: 400 },
  { name: 'NUL in a header name', raw: `GET /smuggled HTTP/1.1\r\n${H}X\x00A: 1\r\n\r\n`, expect: 400 },
  { name: 'header line without a colon', raw: `GET /smuggled HTTP/1.1\r\n${H}X-A 1\r\n\r\n`, expect: 400 },
  { name: 'headers over 60 KiB', raw: `GET /smuggled HTTP/1.1\r\n${H}X-Big: ${BIG}\r\n\r\n`, expect: 431 },
  { name: 'many small headers over 60 KiB', raw: `GET /smuggled HTTP/1.1\r\n${H}${'X-A: aaaaaaaaaaaaaaaa\r\n'.repeat(3500)}\r\n`, expect: 431 },
];

const authorities: readonly ProbeCase[] = [
  { name: 'two Host lines', raw: 'GET /smuggled HTTP/1.1\r\nHost: app.test\r\nHost: other.test\r\n\r\n', expect: 400 },
  { name: 'two Host lines, same value', raw: 'GET /smuggled HTTP/1.1\r\nHost: app.test\r\nHost: app.test\r\n\r\n', expect: 400 },
  { name: 'two Host lines, different case', raw: 'GET /smuggled HTTP/1.1\r\nHost: app.test\r\nhOST: other.test\r\n\r\n', expect: 400 },
  { name: 'no Host in HTTP/1.1', raw: 'GET /smuggled HTTP/1.1\r\n\r\n', expect: 400 },
  { name: 'empty Host', raw: 'GET /smuggled HTTP/1.1\r\nHost: \r\n\r\n', expect: 400 },
  { name: 'Host with a space', raw: 'GET /smuggled HTTP/1.1\r\nHost: app test\r\n\r\n', expect: 400 },
  { name: 'Host with a path', raw: 'GET /smuggled HTTP/1.1\r\nHost: app.test/x\r\n\r\n', expect: 400 },
  { name: 'Host with userinfo', raw: 'GET /smuggled HTTP/1.1\r\nHost: user@app.test\r\n\r\n', expect: 400 },
  { name: 'Host with a non-numeric port', raw: 'GET /smuggled HTTP/1.1\r\nHost: app.test:x\r\n\r\n', expect: 400 },
  { name: 'Host as a list', raw: 'GET /smuggled HTTP/1.1\r\nHost: app.test, other.test\r\n\r\n', expect: 400 },
  { name: 'absolute-form with an empty authority', raw: `GET http:///smuggled HTTP/1.1\r\n${H}\r\n`, expect: 400 },
  { name: 'absolute-form with userinfo', raw: `GET http://user@app.test/smuggled HTTP/1.1\r\n${H}\r\n`, expect: 400 },
  { name: 'absolute-form with a bad port', raw: `GET http://app.test:x/smuggled HTTP/1.1\r\n${H}\r\n`, expect: 400 },
  { name: 'absolute-form with another scheme', raw: `GET ftp://app.test/smuggled HTTP/1.1\r\n${H}\r\n`, expect: 400 },
  { name: 'absolute-form with a broken IP literal', raw: `GET http://[::1/smuggled HTTP/1.1\r\n${H}\r\n`, expect: 400 },
  { name: 'absolute-form and two Host lines', raw: 'GET http://app.test/smuggled HTTP/1.1\r\nHost: a.test\r\nHost: b.test\r\n\r\n', expect: 400 },
];

describe('malformed requests', () => {
  for (const [group, cases] of [['request line', requestLines], ['header lines', headerLines], ['host and authority', authorities]] as const) {
    test(`${group}: each probe is refused and nothing reaches a backend`, async (t) => {
      const gw = await startHostileGateway(t);
      for (const c of cases) await t.test(c.name, () => assertRejected(gw, c));
    });
  }
});
