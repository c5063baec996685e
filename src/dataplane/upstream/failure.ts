/**
 * What went wrong with an upstream exchange, in Envoy's terms, decided by where the exchange was when
 * it failed: an error before the request reached a connection is a connect failure (refused, TLS
 * handshake, connect timeout); bytes that are not HTTP (or a response that breaks its own framing) are
 * a protocol error (Envoy's UPE); anything else after the request started is a reset.
 */
import { errors } from 'undici';

export type UpstreamFailure = 'connect' | 'reset' | 'protocol';

/** Error codes that mean the connection never came up, even if undici reports them late. */
const CONNECT_ERROR_CODES = new Set([
  'ECONNREFUSED',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EADDRNOTAVAIL',
  'UND_ERR_CONNECT_TIMEOUT',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'CERT_HAS_EXPIRED',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

/**
 * undici's parser errors (an `HTTPParserError`, with llhttp's `HPE_*` code when it has one: a status
 * line that is not HTTP has none) and a body longer or shorter than its Content-Length.
 */
function isProtocolError(error: unknown, code: unknown): boolean {
  return (
    error instanceof errors.HTTPParserError ||
    (typeof code === 'string' && (code.startsWith('HPE_') || code === 'UND_ERR_RES_CONTENT_LENGTH_MISMATCH'))
  );
}

export function classifyFailure(error: unknown, requestStarted: boolean): UpstreamFailure {
  const code = (error as { code?: unknown } | null)?.code;
  if (isProtocolError(error, code)) return 'protocol';
  if (!requestStarted || (typeof code === 'string' && CONNECT_ERROR_CODES.has(code))) return 'connect';
  return 'reset';
}
