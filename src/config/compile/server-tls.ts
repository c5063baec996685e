/**
 * A Gateway server's `tls` → the listener's `TlsServerContext` (Envoy's `DownstreamTlsContext`), as
 * Istio validates and builds it: the certificate from files or a `credentialName` Secret (read from the
 * gateway's namespace, as Istio reads it from the gateway deployment's), client certificates for
 * MUTUAL and OPTIONAL_MUTUAL, protocol versions and TLS 1.2 cipher suites. Messages name Secrets and
 * fields, never their contents.
 */
import type { FieldPath } from '../diagnostics.ts';
import type { GatewayServerSpec } from '../schema/gateway.ts';
import type { ValidatedGateway } from '../schema/validate.ts';
import type { TlsProtocolVersion, TlsServerContext } from '../../snapshot/types.ts';
import { closestName } from '../schema/field-check.ts';
import type { CompileContext } from './context.ts';
import type { SecretStore } from './secrets.ts';

type ServerTlsSpec = NonNullable<GatewayServerSpec['tls']>;

/**
 * The TLS 1.2 (and older) cipher suites Envoy's BoringSSL accepts and Istio validates
 * (`security.ValidCipherSuites`); OpenSSL, which Node uses, knows each under the same name.
 */
export const ENVOY_CIPHER_SUITES = [
  'ECDHE-ECDSA-AES128-GCM-SHA256',
  'ECDHE-RSA-AES128-GCM-SHA256',
  'ECDHE-ECDSA-AES256-GCM-SHA384',
  'ECDHE-RSA-AES256-GCM-SHA384',
  'ECDHE-ECDSA-CHACHA20-POLY1305',
  'ECDHE-RSA-CHACHA20-POLY1305',
  'ECDHE-ECDSA-AES128-SHA',
  'ECDHE-RSA-AES128-SHA',
  'ECDHE-ECDSA-AES256-SHA',
  'ECDHE-RSA-AES256-SHA',
  'AES128-GCM-SHA256',
  'AES256-GCM-SHA384',
  'AES128-SHA',
  'AES256-SHA',
  'DES-CBC3-SHA',
] as const;

const PROTOCOLS: Record<string, TlsProtocolVersion | null> = {
  TLS_AUTO: null,
  TLSV1_0: 'TLSv1_0',
  TLSV1_1: 'TLSv1_1',
  TLSV1_2: 'TLSv1_2',
  TLSV1_3: 'TLSv1_3',
};
const ORDER: readonly TlsProtocolVersion[] = ['TLSv1_0', 'TLSv1_1', 'TLSv1_2', 'TLSv1_3'];
/** Envoy's defaults for a server when a bound is TLS_AUTO. */
const AUTO_MIN: TlsProtocolVersion = 'TLSv1_2';
const AUTO_MAX: TlsProtocolVersion = 'TLSv1_3';

/** Where to find Secrets for `credentialName`: the store and the gateway's namespace. */
export interface ServerSecrets {
  readonly store: SecretStore;
  readonly namespace: string;
}

/** Compiles server `i`'s TLS for an HTTPS server; `null` after reporting an error. */
export function compileServerTls(gw: ValidatedGateway, i: number, hosts: readonly string[], ctx: CompileContext, secrets: ServerSecrets): TlsServerContext | null {
  const at: FieldPath = ['spec', 'servers', i, 'tls'];
  const tls = gw.spec.servers[i]?.tls;
  const mode = tls?.mode;
  if (tls === undefined || mode === undefined) {
    ctx.error('TLS_REQUIRED', gw, at, 'an HTTPS server needs tls.mode SIMPLE, MUTUAL or OPTIONAL_MUTUAL with serverCertificate and privateKey, or credentialName');
    return null;
  }
  if (mode === 'PASSTHROUGH' || mode === 'AUTO_PASSTHROUGH') {
    ctx.error('UNSUPPORTED_VALUE', gw, [...at, 'mode'], `tls mode ${mode} forwards the encrypted stream by SNI without terminating it; shadowgate terminates TLS and routes HTTP only (no TCP or TLS passthrough): use SIMPLE, MUTUAL or OPTIONAL_MUTUAL`);
    return null;
  }
  if (mode === 'ISTIO_MUTUAL') {
    ctx.error('UNSUPPORTED_VALUE', gw, [...at, 'mode'], 'tls mode ISTIO_MUTUAL is not supported by shadowgate (there is no mesh CA to issue its certificate or verify clients); use MUTUAL with caCertificates or a credentialName Secret holding ca.crt');
    return null;
  }
  const mutual = mode !== 'SIMPLE';
  const params = protocolParams(gw, at, tls, ctx);
  const ciphers = cipherSuites(gw, at, tls, ctx);
  if (!mutual) {
    if (tls.caCertificates !== undefined) ctx.warn('NO_OP_FIELD', gw, [...at, 'caCertificates'], 'caCertificates verifies client certificates, which mode SIMPLE does not ask for; ignored (use MUTUAL or OPTIONAL_MUTUAL)');
    if (tls.subjectAltNames !== undefined) ctx.warn('NO_OP_FIELD', gw, [...at, 'subjectAltNames'], 'subjectAltNames applies to client certificates, which mode SIMPLE does not ask for; ignored');
  }
  const material = tls.credentialName !== undefined ? fromSecret(gw, at, tls, tls.credentialName, mutual, ctx, secrets) : fromFiles(gw, at, tls, mode, ctx);
  if (material === null || params === null || ciphers === null) return null;
  return {
    hosts,
    mode,
    ...material,
    subjectAltNames: mutual ? [...new Set(tls.subjectAltNames ?? [])] : [],
    minVersion: params.min,
    maxVersion: params.max,
    cipherSuites: ciphers,
  };
}

type Material = Pick<TlsServerContext, 'cert' | 'key' | 'certFile' | 'keyFile' | 'credentialName' | 'ca' | 'caFile'>;

function fromSecret(gw: ValidatedGateway, at: FieldPath, tls: ServerTlsSpec, name: string, mutual: boolean, ctx: CompileContext, secrets: ServerSecrets): Material | null {
  const files = (['serverCertificate', 'privateKey', 'caCertificates'] as const).filter((f) => tls[f] !== undefined);
  if (files.length > 0) {
    ctx.error('TLS_REQUIRED', gw, [...at, 'credentialName'], `credentialName and ${files.join(', ')} are exclusive: the certificate${mutual ? ' and CA' : ''} come from the Secret or from files, not both`);
    return null;
  }
  const hint = ", the gateway's own namespace (--proxy-namespace), as Istio reads a gateway's Secrets from its deployment's namespace";
  const credential = secrets.store.credential(gw, [...at, 'credentialName'], secrets.namespace, name, true, hint);
  if (credential === null) return null;
  if (mutual && credential.ca === null) {
    ctx.error(
      'TLS_REQUIRED',
      gw,
      [...at, 'credentialName'],
      `mode ${tls.mode} verifies client certificates, so it needs a CA: ca.crt (or cacert) in Secret ${credential.name}, or a Secret ${credential.name}-cacert`,
    );
    return null;
  }
  return { cert: credential.cert!, key: credential.key!, certFile: null, keyFile: null, credentialName: credential.name, ca: mutual ? credential.ca : null, caFile: null };
}

function fromFiles(gw: ValidatedGateway, at: FieldPath, tls: ServerTlsSpec, mode: string, ctx: CompileContext): Material | null {
  const mutual = mode !== 'SIMPLE';
  const missing = [
    tls.serverCertificate === undefined ? 'a server certificate (serverCertificate)' : null,
    tls.privateKey === undefined ? 'a private key (privateKey)' : null,
    mutual && tls.caCertificates === undefined ? 'a client CA bundle (caCertificates)' : null,
  ].filter((m) => m !== null);
  if (missing.length > 0) {
    // Pointed at `mode`: the missing fields have no line of their own.
    ctx.error('TLS_REQUIRED', gw, [...at, 'mode'], `${mode} TLS requires ${missing.join(' and ')}, or credentialName naming a Secret`);
    return null;
  }
  const cert = ctx.readReferencedFile(gw, [...at, 'serverCertificate'], tls.serverCertificate!);
  const key = ctx.readReferencedFile(gw, [...at, 'privateKey'], tls.privateKey!);
  const ca = mutual ? ctx.readReferencedFile(gw, [...at, 'caCertificates'], tls.caCertificates!) : null;
  if (cert === null || key === null || (mutual && ca === null)) return null;
  return { cert: cert.text, key: key.text, certFile: cert.path, keyFile: key.path, credentialName: null, ca: ca?.text ?? null, caFile: ca?.path ?? null };
}

function protocolParams(gw: ValidatedGateway, at: FieldPath, tls: ServerTlsSpec, ctx: CompileContext): { min: TlsProtocolVersion | null; max: TlsProtocolVersion | null } | null {
  const min = PROTOCOLS[tls.minProtocolVersion ?? 'TLS_AUTO'] ?? null;
  const max = PROTOCOLS[tls.maxProtocolVersion ?? 'TLS_AUTO'] ?? null;
  const low = ORDER.indexOf(min ?? AUTO_MIN);
  const high = ORDER.indexOf(max ?? AUTO_MAX);
  if (low > high) {
    const written = (v: string | undefined, auto: string) => (v === undefined || v === 'TLS_AUTO' ? `${auto} (TLS_AUTO)` : v);
    ctx.error(
      'INVALID_FIELD',
      gw,
      [...at, max !== null ? 'maxProtocolVersion' : 'minProtocolVersion'],
      `maxProtocolVersion ${written(tls.maxProtocolVersion, 'TLSV1_3')} is below minProtocolVersion ${written(tls.minProtocolVersion, 'TLSV1_2')}, so no handshake could succeed`,
    );
    return null;
  }
  return { min, max };
}

function cipherSuites(gw: ValidatedGateway, at: FieldPath, tls: ServerTlsSpec, ctx: CompileContext): string[] | null {
  const out: string[] = [];
  let ok = true;
  (tls.cipherSuites ?? []).forEach((name, j) => {
    if ((ENVOY_CIPHER_SUITES as readonly string[]).includes(name)) {
      if (!out.includes(name)) out.push(name);
      return;
    }
    ok = false;
    const field = [...at, 'cipherSuites', j];
    if (name.startsWith('TLS_')) {
      ctx.error('INVALID_FIELD', gw, field, `${name} is a TLS 1.3 suite: TLS 1.3 suites are not configurable (as in Envoy, all of them are always enabled); cipherSuites lists TLS 1.2 suites`);
      return;
    }
    const suggestion = closestName(name, ENVOY_CIPHER_SUITES);
    const tail = suggestion !== null ? ` (did you mean "${suggestion}"?)` : `; known suites: ${ENVOY_CIPHER_SUITES.join(', ')}`;
    ctx.error('INVALID_FIELD', gw, field, `unknown cipher suite ${JSON.stringify(name)}${tail}`);
  });
  return ok ? out : null;
}

/**
 * Why two HTTPS servers cannot share one port, or `null` when they can. Node (OpenSSL) settles the
 * protocol version and the cipher before the SNI name picks a server's context, so those settings
 * apply to the whole port; servers sharing it must agree on them.
 */
export function sharedPortConflict(a: TlsServerContext, b: TlsServerContext): string | null {
  if (a.minVersion !== b.minVersion) return 'minProtocolVersion';
  if (a.maxVersion !== b.maxVersion) return 'maxProtocolVersion';
  if (a.cipherSuites.join(':') !== b.cipherSuites.join(':')) return 'cipherSuites';
  return null;
}
