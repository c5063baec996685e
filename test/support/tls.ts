/** Certificates for HTTPS listener, mutual TLS and TLS-origination tests, made with openssl: self-signed ones and a small CA. */
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { makeTempDir } from './temp-dir.ts';

const run = promisify(execFile);

export interface SelfSignedCert {
  readonly dir: string;
  readonly certFile: string;
  readonly keyFile: string;
  /** PEM text; being self-signed, the certificate is also its own CA bundle. */
  readonly cert: string;
  readonly key: string;
}

/**
 * A self-signed RSA certificate valid for `hostnames` (DNS names or IP addresses, all put in the
 * subjectAltName; the first is also the subject CN). Written to a fresh temp dir.
 */
export async function selfSignedCert(hostnames: readonly string[]): Promise<SelfSignedCert> {
  const first = hostnames[0];
  if (first === undefined) throw new TypeError('selfSignedCert needs at least one hostname');
  const dir = makeTempDir('shadowgate-tls-');
  const certFile = join(dir, 'cert.pem');
  const keyFile = join(dir, 'key.pem');
  const subjectAltName = hostnames.map((name) => (isIP(name) ? `IP:${name}` : `DNS:${name}`)).join(',');
  await run('openssl', [
    'req', '-x509', '-newkey', 'rsa:2048', '-nodes',
    '-keyout', keyFile, '-out', certFile,
    '-days', '2', '-subj', `/CN=${first}`,
    '-addext', `subjectAltName=${subjectAltName}`,
  ]);
  return {
    dir,
    certFile,
    keyFile,
    cert: readFileSync(certFile, 'utf8'),
    key: readFileSync(keyFile, 'utf8'),
  };
}

/** A certificate issued by a `TestCertificateAuthority`, in its own temp dir. */
export interface IssuedCert extends SelfSignedCert {
  /** PEM of the issuing CA, for the peer's trust store. */
  readonly ca: string;
}

/** A throwaway CA that signs server and client certificates (mutual TLS tests). */
export interface TestCertificateAuthority {
  readonly certFile: string;
  /** PEM text of the CA certificate. */
  readonly cert: string;
  /**
   * Issues an RSA certificate for `subjectAltNames` (`DNS:`, `URI:` or `IP:` entries; a bare name is
   * a DNS name), usable both as a server and as a client certificate; `cn` is the subject CN.
   */
  issue(cn: string, subjectAltNames?: readonly string[]): Promise<IssuedCert>;
}

/** Makes a CA (self-signed, `CA:TRUE`) in a fresh temp dir. */
export async function certificateAuthority(name = 'shadowgate test CA'): Promise<TestCertificateAuthority> {
  const dir = makeTempDir('shadowgate-ca-');
  const certFile = join(dir, 'ca.crt');
  const keyFile = join(dir, 'ca.key');
  await run('openssl', [
    'req', '-x509', '-newkey', 'rsa:2048', '-nodes',
    '-keyout', keyFile, '-out', certFile,
    '-days', '2', '-subj', `/CN=${name}`,
    '-addext', 'basicConstraints=critical,CA:TRUE',
    '-addext', 'keyUsage=critical,keyCertSign,cRLSign',
  ]);
  const cert = readFileSync(certFile, 'utf8');
  let serial = 1;
  return {
    certFile,
    cert,
    async issue(cn, subjectAltNames = [cn]) {
      const out = makeTempDir('shadowgate-issued-');
      const leafCert = join(out, 'cert.pem');
      const leafKey = join(out, 'key.pem');
      const csr = join(out, 'req.csr');
      const ext = join(out, 'ext.cnf');
      const sans = subjectAltNames.map((s) => (/^(DNS|URI|IP|email):/.test(s) ? s : isIP(s) ? `IP:${s}` : `DNS:${s}`));
      writeFileSync(ext, `subjectAltName=${sans.join(',')}\nextendedKeyUsage=serverAuth,clientAuth\nbasicConstraints=CA:FALSE\n`);
      await run('openssl', ['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', leafKey, '-out', csr, '-subj', `/CN=${cn}`]);
      await run('openssl', [
        'x509', '-req', '-in', csr, '-CA', certFile, '-CAkey', keyFile,
        '-set_serial', String(serial++), '-days', '2', '-extfile', ext, '-out', leafCert,
      ]);
      return { dir: out, certFile: leafCert, keyFile: leafKey, cert: readFileSync(leafCert, 'utf8'), key: readFileSync(leafKey, 'utf8'), ca: cert };
    },
  };
}
