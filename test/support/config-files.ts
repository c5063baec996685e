/** Writes config YAML where the config pipeline can read it, one fresh directory per call. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeTempDir } from './temp-dir.ts';

export interface WrittenConfig {
  readonly dir: string;
  readonly file: string;
}

/** Writes `yamlText` to `config.yaml` (or `fileName`) in a new temp dir. */
export function writeConfig(yamlText: string, fileName = 'config.yaml'): WrittenConfig {
  const dir = makeTempDir('shadowgate-config-');
  const file = join(dir, fileName);
  writeFileSync(file, yamlText);
  return { dir, file };
}
