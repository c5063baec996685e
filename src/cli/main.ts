#!/usr/bin/env node
/** The `shadowgate` executable. See program.ts for commands and exit codes. */
import { runCli } from './program.ts';

/** After a command has finished, how long anything left open may keep the process alive. */
const EXIT_GRACE_MS = 5_000;

const code = await runCli(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr });
// Set, not process.exit(): pending writes to a piped stdout are flushed before the process ends.
process.exitCode = code;
// Every command closes what it opened, so the process normally ends by itself right away. If a stray
// handle (a keep-alive socket, a timer) kept it alive, Ctrl-C would seem to hang; this unref'd timer
// only fires in that case, and cannot itself keep the process alive.
setTimeout(() => process.exit(code), EXIT_GRACE_MS).unref();
