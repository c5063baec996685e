#!/usr/bin/env -S node --max-semi-space-size=8
/**
 * The `shadowgate` executable. See program.ts for commands and exit codes.
 *
 * The young generation is capped at 8 MiB per semi-space; V8's default let it grow to 64 MiB on our
 * 2-core bench machine. Measured under proxy load (README, "Memory"): uncapped, V8 often settles into
 * a state where every scavenge promotes megabytes of already-finished requests and peak RSS reaches
 * ~285 MiB instead of ~160; capped, that state is milder (~190 MiB at worst) and CPU per request is
 * unchanged. When started as `node dist/cli/main.js`, the flag must be passed to node by hand.
 */
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
