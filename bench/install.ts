/**
 * Makes sure the load generator and the reference proxy are installed: wrk and nginx from Debian's
 * packages (nginx-light where the release still has it, nginx otherwise). Installing needs root.
 */
import { spawnSync } from 'node:child_process';

/** Whether `command` is on PATH. */
export function has(command: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0;
}

function aptInstall(packages: readonly string[], log: (line: string) => void): boolean {
  log(`installing ${packages.join(' ')} with apt-get`);
  const result = spawnSync('apt-get', ['install', '-y', '--no-install-recommends', ...packages], {
    stdio: ['ignore', 'inherit', 'inherit'],
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
  return result.status === 0;
}

/** Installs what is missing; throws with instructions when it cannot. */
export function ensureTools(log: (line: string) => void): void {
  const missing = ['wrk', 'nginx', 'taskset', 'getconf'].filter((c) => !has(c));
  if (missing.length === 0) return;
  if (process.getuid?.() !== 0) {
    throw new Error(`missing ${missing.join(', ')}; as root run: apt-get update && apt-get install -y wrk nginx-light util-linux`);
  }
  if (!has('apt-get')) throw new Error(`missing ${missing.join(', ')} and there is no apt-get to install them`);
  log('apt-get update');
  spawnSync('apt-get', ['update'], { stdio: ['ignore', 'inherit', 'inherit'] });
  if (!has('wrk') && !aptInstall(['wrk'], log)) throw new Error('could not install wrk');
  if (!has('nginx') && !aptInstall(['nginx-light'], log) && !aptInstall(['nginx'], log)) {
    throw new Error('could not install nginx (tried nginx-light, then nginx)');
  }
  if (!has('taskset') && !aptInstall(['util-linux'], log)) throw new Error('could not install taskset (util-linux)');
  if (!has('getconf') && !aptInstall(['libc-bin'], log)) throw new Error('could not install getconf (libc-bin)');
}

/** Whether this nginx was built with the mirror module (it is, unless configured out). */
export function nginxHasMirror(): boolean {
  const result = spawnSync('nginx', ['-V'], { encoding: 'utf8' });
  return !`${result.stdout}${result.stderr}`.includes('--without-http_mirror_module');
}
