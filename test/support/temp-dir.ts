/**
 * Fresh temporary directories for a test process, removed when the process exits so a failing test
 * leaves nothing behind in /tmp either.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const created: string[] = [];
let cleanupRegistered = false;

/** Creates an empty directory under the OS temp dir; it is deleted when the process exits. */
export function makeTempDir(prefix = 'shadowgate-test-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  created.push(dir);
  if (!cleanupRegistered) {
    cleanupRegistered = true;
    // 'exit' handlers must be synchronous, hence rmSync.
    process.once('exit', () => {
      for (const path of created) rmSync(path, { recursive: true, force: true });
    });
  }
  return dir;
}
