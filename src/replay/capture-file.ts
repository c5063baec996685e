/**
 * Reads captures back: JSON Lines of HAR entries (what shadowgate writes), or a whole HAR file
 * (`{"log": {"entries": [...]}}`, what browsers and other tools export). A line or entry that is not
 * a HAR request is an error naming the file and line, so a replay never sends half of what was meant.
 */
import { readFile } from 'node:fs/promises';
import type { HarEntry } from '../capture/har-entry.ts';

export class CaptureFileError extends Error {
  readonly code = 'CAPTURE_FILE_INVALID';
  readonly file: string;
  readonly line: number;
  constructor(file: string, line: number, reason: string) {
    super(`${file}:${line}: ${reason}`);
    this.file = file;
    this.line = line;
  }
}

/** The parts of an entry a replay uses. */
export type ReplayEntry = Pick<HarEntry, 'startedDateTime' | 'request'> & { readonly response?: { readonly status: number } };

function asEntry(value: unknown, file: string, line: number): ReplayEntry {
  const entry = value as Partial<ReplayEntry> | null;
  const request = entry?.request;
  if (typeof request?.method !== 'string' || typeof request.url !== 'string' || !Array.isArray(request.headers)) {
    throw new CaptureFileError(file, line, 'not a HAR entry (request.method, request.url and request.headers are required)');
  }
  try {
    new URL(request.url);
  } catch {
    throw new CaptureFileError(file, line, `request.url ${JSON.stringify(request.url)} is not an absolute URL`);
  }
  return entry as ReplayEntry;
}

/** A whole-file HAR (`{"log": ...}`); null for JSON Lines, whose text is no single JSON value. */
function wholeHar(text: string): { log: { entries?: unknown } } | null {
  try {
    const value = JSON.parse(text) as { log?: { entries?: unknown } } | null;
    return value !== null && typeof value === 'object' && value.log !== undefined ? (value as { log: { entries?: unknown } }) : null;
  } catch {
    return null;
  }
}

/** Every entry of the files, in file order then line order. Throws CaptureFileError. */
export async function readCaptureFiles(files: readonly string[]): Promise<ReplayEntry[]> {
  const entries: ReplayEntry[] = [];
  for (const file of files) {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (error) {
      throw new CaptureFileError(file, 0, (error as Error).message);
    }
    const har = wholeHar(text);
    if (har !== null) {
      if (!Array.isArray(har.log.entries)) throw new CaptureFileError(file, 1, 'a HAR file needs log.entries');
      har.log.entries.forEach((entry, i) => entries.push(asEntry(entry, file, i + 1)));
      continue;
    }
    const lines = text.split('\n');
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i]!.trim();
      if (line === '') continue;
      let value: unknown;
      try {
        value = JSON.parse(line);
      } catch (error) {
        throw new CaptureFileError(file, i + 1, `not a JSON line: ${(error as Error).message}`);
      }
      entries.push(asEntry(value, file, i + 1));
    }
  }
  return entries;
}
