#!/usr/bin/env -S node --max-semi-space-size=8 --no-allocation-site-pretenuring
/**
 * The `shadowgate` executable. See program.ts for commands and exit codes.
 *
 * Two V8 flags, both measured under proxy load (README, "Memory"):
 * - The young generation is capped at 8 MiB per semi-space. V8's default let it grow to 64 MiB on our
 *   2-core bench machine, where scavenges that large promoted megabytes of finished requests and peak
 *   RSS reached ~285 MiB instead of ~160.
 * - Allocation-site pretenuring is off. Until the hot functions are optimised after start-up, each
 *   request's objects survive scavenges; V8 reads that as "these sites allocate long-lived objects" and
 *   allocates them in the old generation from then on. Dead a millisecond later, they still keep every
 *   young object they point to alive until a full GC, so the start-up state became permanent: about
 *   1.5 MB promoted per scavenge on 64 KiB POSTs instead of about 20 KB.
 * When started as `node dist/cli/main.js`, pass the flags to node by hand.
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
