/**
 * A HTTPS listener's TLS, one secure context per Gateway server chosen by SNI (as Envoy picks a filter
 * chain by `server_names`), and the client-certificate decision of each server.
 *
 * Node sets some things per server and some per port. Certificate, key and the CA that verifies client
 * certificates travel with the SNI context (OpenSSL verifies against the store of the context SNI
 * switched to). Whether a client certificate is requested, the protocol version and the cipher are
 * settled by the listening server's options, before SNI is seen: the compiler makes servers sharing a
 * port agree on versions and ciphers, and client certificates are asked for on the whole port when any
 * server wants them. Then each connection is judged by its own server's mode once the handshake is
 * done (`admit`): a port whose servers are all MUTUAL refuses a missing certificate in the handshake
 * itself; on a port mixing modes, a MUTUAL server's connection without an acceptable certificate is
 * closed right after the handshake, before any request is read.
 */
import { createSecureContext, type SecureContext, type SecureContextOptions, type SecureVersion, type TLSSocket, type TlsOptions } from 'node:tls';
import { type DomainTable, domainTable, lookupDomain } from '../snapshot/domain-table.ts';
import type { TlsProtocolVersion, TlsServerContext } from '../snapshot/types.ts';

const NODE_VERSIONS: Record<TlsProtocolVersion, SecureVersion> = {
  TLSv1_0: 'TLSv1',
  TLSv1_1: 'TLSv1.1',
  TLSv1_2: 'TLSv1.2',
  TLSv1_3: 'TLSv1.3',
};

/**
 * Node takes TLS 1.3 suites in the same `ciphers` string and turns TLS 1.3 off when a list names none;
 * Envoy always enables them, so they are appended to a configured TLS 1.2 list.
 */
const TLS13_SUITES = 'TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256:TLS_AES_128_GCM_SHA256';

interface ServerEntry {
  readonly config: TlsServerContext;
  readonly context: SecureContext;
}

/** The compiled TLS of one listener, ready for `node:https`. */
export class DownstreamTls {
  readonly #byName: DomainTable<ServerEntry>;
  readonly #first: ServerEntry | undefined;
  /** Options of the listening server: its default context (the first server's) and the per-port settings. */
  readonly serverOptions: TlsOptions;
  /** Whether some server asks for client certificates, so `admit` has to look at connections. */
  readonly checksClients: boolean;

  constructor(servers: readonly TlsServerContext[]) {
    const entries = servers.map((config) => ({ config, context: createSecureContext(contextOptions(config)) }));
    this.#byName = domainTable(entries.map((e) => [e.config.hosts, e] as const));
    this.#first = entries[0];
    const requested = servers.filter((s) => s.mode !== 'SIMPLE');
    this.checksClients = requested.length > 0;
    this.serverOptions = {
      ...(servers[0] !== undefined ? contextOptions(servers[0]) : {}),
      requestCert: this.checksClients,
      // Only when every server requires one can OpenSSL refuse a missing certificate for all of them.
      rejectUnauthorized: servers.length > 0 && servers.every((s) => s.mode === 'MUTUAL'),
    };
  }

  /** The secure context for an SNI name; a name nothing matches gets the first server's. */
  contextFor(servername: string): SecureContext | undefined {
    return this.#serverFor(servername)?.context;
  }

  /**
   * Whether the connection's client certificate satisfies the mode of the server its SNI chose:
   * MUTUAL needs one that verifies against the server's CA (and carries one of its subjectAltNames,
   * when set); OPTIONAL_MUTUAL accepts none, but not a bad one (Envoy verifies what is presented).
   */
  admit(socket: TLSSocket): boolean {
    const config = this.#serverFor(typeof socket.servername === 'string' ? socket.servername : '')?.config;
    if (config === undefined || config.mode === 'SIMPLE') return true;
    const peer = socket.getPeerCertificate();
    const presented = peer !== null && typeof peer === 'object' && Object.keys(peer).length > 0;
    if (!presented) return config.mode === 'OPTIONAL_MUTUAL';
    if (!socket.authorized) return false;
    return config.subjectAltNames.length === 0 || subjectAltNames(peer.subjectaltname).some((san) => config.subjectAltNames.includes(san));
  }

  #serverFor(servername: string): ServerEntry | undefined {
    return (servername === '' ? null : lookupDomain(this.#byName, servername.toLowerCase())) ?? this.#first;
  }
}

function contextOptions(server: TlsServerContext): SecureContextOptions {
  return {
    cert: server.cert,
    key: server.key,
    ...(server.ca !== null ? { ca: server.ca } : {}),
    minVersion: NODE_VERSIONS[server.minVersion ?? 'TLSv1_2'],
    maxVersion: NODE_VERSIONS[server.maxVersion ?? 'TLSv1_3'],
    ...(server.cipherSuites.length > 0 ? { ciphers: `${server.cipherSuites.join(':')}:${TLS13_SUITES}` } : {}),
  };
}

/** The values of Node's `subjectaltname` text (`DNS:a.example, URI:spiffe://x, IP Address:10.0.0.1`). */
function subjectAltNames(text: string | undefined): string[] {
  if (text === undefined || text === '') return [];
  return text.split(', ').map((entry) => entry.slice(entry.indexOf(':') + 1));
}
