/**
 * Where `shadowgate run` takes the admin token from, so it need not sit on the command line (where
 * `ps` shows it): `--admin-token-file PATH` or the `SHADOWGATE_ADMIN_TOKEN` environment variable.
 * `--admin-token` and `--admin-token-file` together are refused; either one wins over the environment.
 */
import { readFileSync } from 'node:fs';

/** The environment variable read when neither flag gives a token. */
export const ADMIN_TOKEN_ENV = 'SHADOWGATE_ADMIN_TOKEN';

export interface AdminTokenSources {
  readonly flag?: string;
  readonly file?: string;
  readonly env: NodeJS.ProcessEnv;
}

export type AdminTokenResult =
  | { readonly ok: true; readonly token: string | null }
  | { readonly ok: false; readonly message: string };

/** What a bearer token may hold: visible ASCII, as an HTTP header value can carry it as given. */
const TOKEN_CHARACTERS = /^[\x21-\x7e]+$/;

function checked(token: string, from: string): AdminTokenResult {
  if (token === '') return { ok: false, message: `${from} is empty` };
  if (!TOKEN_CHARACTERS.test(token)) {
    return { ok: false, message: `${from} holds spaces, line breaks or non-ASCII characters, which an Authorization header cannot carry` };
  }
  return { ok: true, token };
}

/** Reads the token from the flag, the file or the environment, in that order; `null` when none is set. */
export function resolveAdminToken(sources: AdminTokenSources): AdminTokenResult {
  if (sources.flag !== undefined && sources.file !== undefined) {
    return { ok: false, message: 'give the admin token with --admin-token or --admin-token-file, not both' };
  }
  if (sources.flag !== undefined) return checked(sources.flag, '--admin-token');
  if (sources.file !== undefined) {
    let text: string;
    try {
      text = readFileSync(sources.file, 'utf8');
    } catch (error) {
      const reason = (error as NodeJS.ErrnoException).code ?? (error instanceof Error ? error.message : String(error));
      return { ok: false, message: `--admin-token-file ${JSON.stringify(sources.file)} cannot be read (${reason})` };
    }
    // Editors and `echo` end the file with a newline; it is not part of the token.
    return checked(text.replace(/\r?\n$/, ''), `--admin-token-file ${JSON.stringify(sources.file)}`);
  }
  const fromEnv = sources.env[ADMIN_TOKEN_ENV];
  // An empty variable is the same as an unset one, as shells make it easy to export one by accident.
  if (fromEnv === undefined || fromEnv === '') return { ok: true, token: null };
  return checked(fromEnv, ADMIN_TOKEN_ENV);
}
