/**
 * The node-floor contender (bench/node-floor-server.ts) as a child process, started the same way by
 * `npm run bench` and `npm run bench:instructions`.
 */
import { fileURLToPath } from 'node:url';
import { startProcess, startupTimeoutMs, waitFor, type Started, type Wrapper } from './child.ts';
import { REPO_ROOT, shippedNodeFlags } from './shadowgate.ts';

const NODE_FLOOR = fileURLToPath(new URL('./node-floor-server.ts', import.meta.url));

/** Starts the floor on `port`, relaying to `primaryPort` and copying to `shadowPort` when given. */
export async function startNodeFloor(
  port: number,
  primaryPort: number,
  shadowPort: number | null,
  cpus: string | null,
  wrapper: Wrapper = [],
): Promise<Started> {
  // Same V8 flags as the shipped gateway, so the two differ only in code.
  const args = [...shippedNodeFlags(), NODE_FLOOR, String(port), String(primaryPort), ...(shadowPort === null ? [] : [String(shadowPort)])];
  const floor = startProcess('node-floor', process.execPath, args, { cpus, cwd: REPO_ROOT, wrapper });
  await waitFor(
    () => {
      if (floor.hasExited()) throw new Error(`node-floor exited during start-up:\n${floor.output()}`);
      return floor.output().includes('listening on') ? true : null;
    },
    startupTimeoutMs(10_000, wrapper),
    'node-floor to listen',
  );
  return floor;
}
