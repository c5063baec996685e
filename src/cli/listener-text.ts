/** How the CLI tells a user where the gateway listens. */
import type { ListenerAddress } from '../gateway.ts';

/** `http://127.0.0.1:8080`; IPv6 addresses in brackets, as in a URL. */
export function listenerUrl(address: ListenerAddress): string {
  const host = address.address.includes(':') ? `[${address.address}]` : address.address;
  return `${address.protocol === 'HTTPS' ? 'https' : 'http'}://${host}:${address.port}`;
}

/** `listening on http://127.0.0.1:8080 (listener 127.0.0.1_8080)`. */
export function listeningLine(address: ListenerAddress): string {
  return `listening on ${listenerUrl(address)} (listener ${address.name})`;
}
