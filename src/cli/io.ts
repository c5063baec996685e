/** Where a command writes: the process's streams in `main.ts`, buffers in tests. */
export interface CliIo {
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream;
}

/** Writes one line. */
export function say(stream: NodeJS.WritableStream, line: string): void {
  stream.write(`${line}\n`);
}
