/**
 * What went wrong with an upstream exchange, in Envoy's terms, decided by where the exchange was when
 * it failed: an error before the request reached a connection is a connect failure (refused, TLS
 * handshake, connect timeout); after that it is a reset.
 */
export type UpstreamFailure = 'connect' | 'reset';

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

export function classifyFailure(error: unknown, requestStarted: boolean): UpstreamFailure {
  const code = (error as { code?: unknown } | null)?.code;
  if (!requestStarted || (typeof code === 'string' && CONNECT_ERROR_CODES.has(code))) return 'connect';
  return 'reset';
}
