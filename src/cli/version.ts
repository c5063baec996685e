/** The package version, read from package.json so it is stated in one place. */
import { readFileSync } from 'node:fs';

/**
 * `../../package.json` is the package root both from `src/cli/` (run from source) and from
 * `dist/cli/` (the published bin), so one relative URL serves both.
 */
export function packageVersion(): string {
  const text = readFileSync(new URL('../../package.json', import.meta.url), 'utf8');
  const { version } = JSON.parse(text) as { version?: unknown };
  return typeof version === 'string' ? version : '0.0.0';
}
