/**
 * Runtime mirror overrides by route id. With a state file they survive restarts: every change is
 * written to a temp file and renamed over the old one, so a crash leaves either the old or the new
 * state, never half of one. Without a state file they live in memory and survive reloads only.
 */
import { readFile, rename, writeFile } from 'node:fs/promises';
import type { MirrorOverride } from '../config/index.ts';

interface StateFile {
  readonly version: 1;
  readonly mirrorOverrides: Record<string, MirrorOverride>;
}

export class OverrideStore {
  readonly #path: string | null;
  #overrides: ReadonlyMap<string, MirrorOverride> = new Map();

  constructor(path: string | null) {
    this.#path = path;
  }

  get persistent(): boolean {
    return this.#path !== null;
  }

  get all(): ReadonlyMap<string, MirrorOverride> {
    return this.#overrides;
  }

  /** Reads the state file; a missing file is an empty state, an unreadable one an error. */
  async load(): Promise<void> {
    if (this.#path === null) return;
    let text: string;
    try {
      text = await readFile(this.#path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw error;
    }
    const state = JSON.parse(text) as Partial<StateFile>;
    this.#overrides = new Map(Object.entries(state.mirrorOverrides ?? {}));
  }

  async replace(next: ReadonlyMap<string, MirrorOverride>): Promise<void> {
    this.#overrides = next;
    if (this.#path === null) return;
    const state: StateFile = { version: 1, mirrorOverrides: Object.fromEntries(next) };
    const temp = `${this.#path}.${process.pid}.tmp`;
    await writeFile(temp, JSON.stringify(state, null, 2) + '\n');
    await rename(temp, this.#path);
  }
}
