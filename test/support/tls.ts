/** Self-signed certificates for HTTPS listener and TLS-origination tests, made with openssl. */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
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
