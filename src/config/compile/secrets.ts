/**
 * Kubernetes Secrets as TLS credentials, for every `credentialName` (DestinationRule `tls` here,
 * Gateway server `tls` later): a `kubernetes.io/tls` Secret's `tls.crt`, `tls.key` and optional
 * `ca.crt`, or an Opaque one's `cert`, `key` and `cacert` (Istio reads both), from `data` (base64) or
 * `stringData` (which wins, as in Kubernetes). A CA may also come from a separate `<name>-cacert`
 * Secret, as Istio allows. Diagnostics name the Secret and the key, never a byte of its contents.
 */
import type { FieldPath } from '../diagnostics.ts';
import type { ResourceIdentity } from '../source.ts';
import type { ValidatedSecret } from '../schema/validate.ts';
import { type CompileContext, positionText } from './context.ts';

/** The PEM texts a Secret holds; `cert`/`key` are `null` in a CA-only Secret. */
export interface TlsCredential {
  /** `namespace/name` of the Secret. */
  readonly name: string;
  readonly cert: string | null;
  readonly key: string | null;
  readonly ca: string | null;
  /** `namespace/name` of the Secret the CA came from (this one, or `<name>-cacert`); `null` without a CA. */
  readonly caFrom: string | null;
}

const TLS_SECRET = 'kubernetes.io/tls';
const OPAQUE_SECRET = 'Opaque';
/** Key names for each part, Kubernetes' TLS names first, then Istio's generic ones. */
const KEYS = { cert: ['tls.crt', 'cert'], key: ['tls.key', 'key'], ca: ['ca.crt', 'cacert'] } as const;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** Secrets by `namespace/name`. */
export class SecretStore {
  readonly #secrets = new Map<string, ValidatedSecret>();
  readonly #ctx: CompileContext;

  constructor(secrets: readonly ValidatedSecret[], ctx: CompileContext) {
    this.#ctx = ctx;
    for (const s of secrets) this.#secrets.set(`${s.metadata.namespace}/${s.metadata.name}`, s);
  }

  /**
   * The credential `name` (in `namespace`) stands for. `needCertificate` asks for a certificate and
   * key (MUTUAL, or a server); without it a CA alone is enough. Problems are reported at `field` of
   * `referrer` and give `null`.
   */
  credential(
    referrer: ResourceIdentity,
    field: FieldPath,
    namespace: string,
    name: string,
    needCertificate: boolean,
    namespaceHint = '',
  ): TlsCredential | null {
    const id = `${namespace}/${name}`;
    const secret = this.#secrets.get(id);
    if (secret === undefined) {
      // A Secret the schema stage dropped was reported there; "no such Secret" would only echo it.
      if (this.#ctx.gaps.coversSecret(id)) return null;
      const elsewhere = [...this.#secrets.values()].filter((s) => s.metadata.name === name).map((s) => s.metadata.namespace);
      const tail = elsewhere.length > 0 ? `; a Secret ${name} exists in namespace ${elsewhere.join(', ')}` : '';
      this.#ctx.error('UNKNOWN_SECRET', referrer, field, `no Secret ${id} in the config files (credentialName is looked up in namespace ${namespace}${namespaceHint})${tail}`);
      return null;
    }
    const parts = this.#parts(secret, referrer, field);
    if (parts === null) return null;
    if (needCertificate && (parts.cert === null || parts.key === null)) {
      const missing = parts.cert === null ? 'tls.crt (or cert)' : 'tls.key (or key)';
      this.#ctx.error('INVALID_SECRET', referrer, field, `Secret ${id} (${positionText(secret, ['metadata', 'name'])}) has no ${missing}`);
      return null;
    }
    let ca = parts.ca;
    let caFrom: string | null = ca === null ? null : id;
    if (ca === null) {
      const separate = this.#secrets.get(`${id}-cacert`);
      if (separate !== undefined) {
        const caParts = this.#parts(separate, referrer, field);
        if (caParts === null) return null;
        ca = caParts.ca;
        caFrom = ca === null ? null : `${id}-cacert`;
      }
    }
    return { name: id, cert: parts.cert, key: parts.key, ca, caFrom };
  }

  #parts(secret: ValidatedSecret, referrer: ResourceIdentity, field: FieldPath): { cert: string | null; key: string | null; ca: string | null } | null {
    const id = `${secret.metadata.namespace}/${secret.metadata.name}`;
    const type = secret.spec.type ?? OPAQUE_SECRET;
    if (type !== TLS_SECRET && type !== OPAQUE_SECRET) {
      this.#ctx.error('INVALID_SECRET', referrer, field, `Secret ${id} has type ${type}; credentialName needs ${TLS_SECRET} or ${OPAQUE_SECRET}`);
      return null;
    }
    let ok = true;
    const read = (names: readonly string[]): string | null => {
      for (const key of names) {
        const text = secret.spec.stringData?.[key];
        const encoded = secret.spec.data?.[key];
        const [where, value] = text !== undefined ? (['stringData', text] as const) : (['data', encoded] as const);
        if (value === undefined) continue;
        if (typeof value !== 'string') {
          this.#ctx.error('INVALID_SECRET', secret, ['spec', where, key], `${where}.${key} of Secret ${id} must be a string`);
          ok = false;
          return null;
        }
        if (where === 'stringData') return this.#pem(secret, ['spec', 'stringData', key], value) ?? ((ok = false), null);
        const compact = value.replace(/\s+/g, '');
        if (!BASE64.test(compact) || compact.length % 4 === 1) {
          this.#ctx.error('INVALID_SECRET', secret, ['spec', 'data', key], `data.${key} of Secret ${id} is not base64`);
          ok = false;
          return null;
        }
        return this.#pem(secret, ['spec', 'data', key], Buffer.from(compact, 'base64').toString('utf8')) ?? ((ok = false), null);
      }
      return null;
    };
    const parts = { cert: read(KEYS.cert), key: read(KEYS.key), ca: read(KEYS.ca) };
    if (!ok) {
      this.#ctx.error('INVALID_SECRET', referrer, field, `Secret ${id} (${positionText(secret, ['metadata', 'name'])}) is not usable`);
      return null;
    }
    return parts;
  }

  #pem(secret: ValidatedSecret, field: FieldPath, text: string): string | null {
    if (text.includes('-----BEGIN ')) return text;
    const key = String(field[field.length - 1]);
    this.#ctx.error('INVALID_SECRET', secret, field, `${key} of Secret ${secret.metadata.namespace}/${secret.metadata.name} is not PEM`);
    return null;
  }
}
