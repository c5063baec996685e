/** `shadowgate run`: load the config, serve it until SIGINT/SIGTERM. */
import cluster from 'node:cluster';
import { availableParallelism } from 'node:os';
import { InvalidArgumentError, type Command } from 'commander';
import { runWorker } from '../control/workers/worker.ts';
import { parseAuthority } from '../admin/request-guard.ts';
import { AdminTokenRequiredError, isLoopback } from '../admin/server.ts';
import { isBindFailure } from '../dataplane/bind-error.ts';
import { GatewayRuntime, type RuntimeStart } from '../control/runtime.ts';
import { ADMIN_TOKEN_ENV, resolveAdminToken } from './admin-token.ts';
import { EXIT_CODES_HELP, ExitCode } from './exit-codes.ts';
import { say, type CliIo } from './io.ts';
import { listeningLine } from './listener-text.ts';
import { addIdentityOptions, countsText, printDiagnostics, proxyIdentity } from './load-config.ts';
import { DEFAULT_DOWNSTREAM_LIMITS, type DownstreamLimits } from '../dataplane/downstream-limits.ts';
import { MAX_CONFIG_FILE_BYTES_FLAG, MAX_CONFIG_FILE_BYTES_HELP, nonNegativeInteger, nonNegativeSeconds, positiveSeconds } from './options.ts';
import { failureText, type Outcome } from './outcome.ts';
import { aborted, onShutdownSignal } from './shutdown.ts';

export interface RunOptions {
  readonly config: string[];
  readonly maxConfigFileBytes?: number;
  readonly mirrorMaxBodyBytes?: number;
  readonly mirrorTimeout?: number;
  readonly mirrorMaxInFlight?: number;
  readonly mirrorMaxResponseBytes?: number;
  readonly admin: string;
  readonly adminToken?: string;
  readonly adminTokenFile?: string;
  readonly adminAllowedHosts?: string[];
  readonly accessLog: string;
  readonly state?: string;
  readonly drainTimeout: number;
  readonly watch: boolean;
  readonly workers: number;
  readonly proxyLabels?: Record<string, string>;
  readonly proxyNamespace: string;
  readonly requestHeadersTimeout: number;
  readonly idleTimeout: number;
  readonly requestBodyTimeout: number;
  readonly maxConnections: number;
  readonly meshListener?: { readonly address: string; readonly port: number };
  readonly compareStore?: string;
  readonly compareMaxSamples: number;
  readonly compareMaxMemoryBytes: number;
}

export function addRunCommand(program: Command, io: CliIo, outcome: Outcome): void {
  const command = program
    .command('run')
    .description('Serve the configuration: bind the Gateway listeners and proxy (and mirror) traffic.')
    .requiredOption('-c, --config <paths...>', 'config files or directories (YAML/JSON, read recursively); repeatable')
    .option('--admin <host:port>', 'admin server address (config dump, stats, reload, mirror policy API)', '127.0.0.1:15000')
    .option('--admin-token <token>', `bearer token every admin request must carry; required when --admin is not loopback (also --admin-token-file or $${ADMIN_TOKEN_ENV})`)
    .option('--admin-token-file <path>', 'read the admin token from this file (a trailing newline is dropped), so ps does not show it')
    .option('--admin-allowed-hosts <hosts>', 'comma-separated Host values the admin also answers (NAME or NAME:PORT), e.g. the name a proxy or a public --admin is reached by', hostList)
    .option('--access-log <target>', 'stdout, stderr, a file path (appended; reopened on SIGUSR1), or off', 'stdout')
    .option('--state <file>', 'persist runtime mirror overrides here, so they survive restarts (otherwise in memory only)')
    .option('--drain-timeout <seconds>', 'how long in-flight requests and shadows may finish on shutdown', positiveSeconds, 15)
    .option('--no-watch', 'do not reload when a config file changes (SIGHUP and POST /reload still do)')
    .option('--workers <n|auto>', 'serve from N worker processes sharing the listeners (auto: one per CPU); 0 serves in this process', workerCount, 0)
    .option('--mirror-max-body-bytes <n>', 'buffer bound of each shadow\'s request-body copy; a copy that outgrows it is abandoned', nonNegativeInteger)
    .option('--mirror-timeout <ms>', 'shadow request timeout when the route sets none', nonNegativeInteger)
    .option('--mirror-max-in-flight <n>', 'shadows in flight per mirror cluster; past it copies are dropped', nonNegativeInteger)
    .option('--mirror-max-response-bytes <n>', 'bytes of a shadow\'s response read and discarded; past it the shadow connection is closed (default 1 MiB)', nonNegativeInteger)
    .option('--request-headers-timeout <seconds>', 'time a client has to send complete request headers (and, for HTTPS, the TLS handshake), else 408 and close; 0 disables', nonNegativeSeconds, DEFAULT_DOWNSTREAM_LIMITS.requestHeadersTimeoutMs / 1000)
    .option('--idle-timeout <seconds>', 'close a downstream connection with no request in progress for this long; 0 disables', nonNegativeSeconds, DEFAULT_DOWNSTREAM_LIMITS.idleTimeoutMs / 1000)
    .option('--request-body-timeout <seconds>', 'end a request whose body receives no byte for this long (408, or a reset once the response started); 0 disables', nonNegativeSeconds, DEFAULT_DOWNSTREAM_LIMITS.requestBodyTimeoutMs / 1000)
    .option('--max-connections <n>', 'open downstream connections per listener (per worker); past it new ones are closed at once; 0: unlimited', nonNegativeInteger, DEFAULT_DOWNSTREAM_LIMITS.maxConnections)
    .option(MAX_CONFIG_FILE_BYTES_FLAG, MAX_CONFIG_FILE_BYTES_HELP, nonNegativeInteger)
    .option('--compare-store <path>', 'SQLite file for response comparison results (GET /api/diffs); shared by --workers (default: in memory)')
    .option('--compare-max-samples <n>', 'difference samples kept; the oldest are evicted past it', nonNegativeInteger, 1000)
    .option('--compare-max-memory-bytes <n>', 'bytes of responses held for comparison across the process; past it comparisons are skipped (reason memory)', nonNegativeInteger, 64 * 1024 * 1024);
  addIdentityOptions(command)
    .addHelpText(
      'after',
      `
Warnings are printed and the gateway starts; any error and it refuses to start (exit 1).
Config files are watched: a change, SIGHUP or POST /reload reloads them; a config with errors is
rejected (logged, shown in /config_dump) and the last good one keeps serving.
The admin token comes from --admin-token or --admin-token-file (not both), else $${ADMIN_TOKEN_ENV}.
The admin server answers only requests whose Host is a loopback name, its bound address or an
--admin-allowed-hosts entry, and refuses cross-site or non-JSON requests that would change state.
SIGUSR1 reopens the access log file. Ctrl-C or SIGTERM stops accepting, turns /ready to 503, lets
in-flight requests and shadows finish (up to --drain-timeout), and exits 0.

Example:
  shadowgate run -c examples/cross-cluster-mirror --admin 127.0.0.1:15000
${EXIT_CODES_HELP}`,
    )
    .action(async (opts: RunOptions) => {
      outcome.code = await run(opts, io);
    });
}

/** `--admin-allowed-hosts`: `a,b:8080,[fd00::1]:15000`; every entry must be a host name or HOST:PORT. */
function hostList(value: string, previous: string[] = []): string[] {
  const hosts = value.split(',').map((h) => h.trim()).filter((h) => h !== '');
  for (const host of hosts) {
    if (parseAuthority(host) === null) throw new InvalidArgumentError(`${JSON.stringify(host)} is not a host name or HOST:PORT.`);
  }
  // Repeatable: each use adds to the list.
  return [...previous, ...hosts];
}

/** `--workers`: a count, or `auto` for one per CPU. */
function workerCount(value: string): number {
  return value === 'auto' ? availableParallelism() : nonNegativeInteger(value);
}

/** A forked worker runs the same command line; it serves and follows its supervisor over IPC. */
async function runAsWorker(opts: RunOptions, io: CliIo): Promise<ExitCode> {
  const code = await runWorker({
    paths: opts.config,
    ...(opts.maxConfigFileBytes !== undefined && { maxConfigFileBytes: opts.maxConfigFileBytes }),
    compile: compileOptions(opts),
    gateway: { downstream: downstreamLimits(opts) },
    compare: compareOptions(opts),
    accessLog: opts.accessLog,
    drainTimeoutMs: opts.drainTimeout * 1000,
    log: (line) => say(io.stderr, `shadowgate worker ${process.pid}: ${line}`),
  });
  return code === 0 ? ExitCode.ok : ExitCode.runtimeFailure;
}

function compileOptions(opts: RunOptions) {
  return { mirror: mirrorSettings(opts), identity: proxyIdentity(opts), ...(opts.meshListener !== undefined && { meshListener: opts.meshListener }) };
}

function mirrorSettings(opts: RunOptions) {
  return {
    ...(opts.mirrorMaxBodyBytes !== undefined && { maxBodyBytes: opts.mirrorMaxBodyBytes }),
    ...(opts.mirrorTimeout !== undefined && { defaultTimeoutMs: opts.mirrorTimeout }),
    ...(opts.mirrorMaxInFlight !== undefined && { maxInFlight: opts.mirrorMaxInFlight }),
    ...(opts.mirrorMaxResponseBytes !== undefined && { maxResponseBytes: opts.mirrorMaxResponseBytes }),
  };
}

function downstreamLimits(opts: RunOptions): DownstreamLimits {
  const ms = (seconds: number): number => Math.round(seconds * 1000);
  return {
    requestHeadersTimeoutMs: ms(opts.requestHeadersTimeout),
    idleTimeoutMs: ms(opts.idleTimeout),
    requestBodyTimeoutMs: ms(opts.requestBodyTimeout),
    maxConnections: opts.maxConnections,
  };
}

function secondsText(ms: number): string {
  return ms === 0 ? 'off' : `${ms / 1000} s`;
}

function compareOptions(opts: RunOptions) {
  return { storePath: opts.compareStore ?? null, maxSamples: opts.compareMaxSamples, maxMemoryBytes: opts.compareMaxMemoryBytes };
}

/** `HOST:PORT` or `[v6]:PORT`. */
function parseAdminAddress(text: string): { host: string; port: number } | null {
  const match = /^(?:\[([^\]]+)\]|([^:]+)):(\d{1,5})$/.exec(text);
  if (match === null) return null;
  const port = Number(match[3]);
  return port > 65_535 ? null : { host: match[1] ?? match[2]!, port };
}

export async function run(opts: RunOptions, io: CliIo): Promise<ExitCode> {
  if (cluster.isWorker) return runAsWorker(opts, io);
  const admin = parseAdminAddress(opts.admin);
  if (admin === null) {
    say(io.stderr, `shadowgate: --admin expects HOST:PORT, got ${JSON.stringify(opts.admin)}`);
    return ExitCode.usage;
  }
  const token = resolveAdminToken({ flag: opts.adminToken, file: opts.adminTokenFile, env: process.env });
  if (!token.ok) {
    say(io.stderr, `shadowgate: ${token.message}`);
    return ExitCode.usage;
  }
  if (token.token === null && !isLoopback(admin.host)) {
    say(io.stderr, `shadowgate: ${new AdminTokenRequiredError(admin.host).message}`);
    return ExitCode.usage;
  }

  // Listen for signals before binding, so a Ctrl-C during start-up still shuts down cleanly.
  const shutdown = onShutdownSignal();
  let started: RuntimeStart;
  try {
    started = await GatewayRuntime.start({
      paths: opts.config,
      ...(opts.maxConfigFileBytes !== undefined && { maxConfigFileBytes: opts.maxConfigFileBytes }),
      compile: compileOptions(opts),
      gateway: { downstream: downstreamLimits(opts) },
      statePath: opts.state ?? null,
      compare: compareOptions(opts),
      admin: { ...admin, token: token.token, allowedHosts: opts.adminAllowedHosts ?? [] },
      accessLog: opts.accessLog,
      drainTimeoutMs: opts.drainTimeout * 1000,
      watch: opts.watch,
      workers: opts.workers,
      log: (line) => say(io.stderr, `shadowgate: ${line}`),
    });
  } catch (error) {
    shutdown.dispose();
    // A port in use names its listener already (`could not bind 0.0.0.0:8080 for listener ...`).
    say(io.stderr, `shadowgate: ${isBindFailure(error) ? error.message : `could not start: ${failureText(error)}`}`);
    return ExitCode.runtimeFailure;
  }
  const errors = started.diagnostics.filter((d) => d.severity === 'error').length;
  printDiagnostics(started.diagnostics, io.stderr);
  if (!started.ok) {
    shutdown.dispose();
    say(io.stderr, `shadowgate: refusing to start, the config has ${countsText(errors, started.diagnostics.length - errors)}`);
    return ExitCode.invalidConfig;
  }
  const { runtime } = started;
  const onHangup = (): void => void runtime.reload('signal');
  const onRotate = (): void => runtime.reopenLogs();
  process.on('SIGHUP', onHangup);
  process.on('SIGUSR1', onRotate);
  try {
    const snapshot = runtime.controller.snapshot!;
    const { mirror: settings } = snapshot;
    say(io.stdout, `shadowgate ready (config ${snapshot.version}, ${countsText(errors, started.diagnostics.length - errors)})`);
    say(io.stdout, `mirror: max body buffer ${settings.maxBodyBytes} bytes, timeout ${settings.defaultTimeoutMs} ms, max in flight ${settings.maxInFlight}, max response ${settings.maxResponseBytes} bytes`);
    const limits = downstreamLimits(opts);
    say(io.stdout, `downstream: request headers timeout ${secondsText(limits.requestHeadersTimeoutMs)}, idle timeout ${secondsText(limits.idleTimeoutMs)}, request body timeout ${secondsText(limits.requestBodyTimeoutMs)}, max connections ${limits.maxConnections === 0 ? 'unlimited' : limits.maxConnections} per listener`);
    for (const address of runtime.dataPlane.addresses()) say(io.stdout, listeningLine(address));
    if (runtime.supervisor !== null) say(io.stdout, `serving from ${opts.workers} workers (pids ${runtime.supervisor.pids().join(', ')})`);
    const adminAddress = runtime.adminAddress!;
    say(io.stdout, `admin on http://${adminAddress.family === 'IPv6' ? `[${adminAddress.address}]` : adminAddress.address}:${adminAddress.port}/ (config_dump, stats, api/routes)`);
    if (opts.state === undefined) say(io.stdout, 'mirror overrides live in memory only (use --state FILE to keep them across restarts)');
    if (opts.workers > 0 && opts.compareStore === undefined) say(io.stdout, 'response comparisons stay in each worker (use --compare-store FILE for GET /api/diffs with workers)');

    await aborted(shutdown.signal);
    say(io.stdout, `received ${String(shutdown.signal.reason)}, draining (up to ${opts.drainTimeout} s) and shutting down`);
    await runtime.shutdown();
    say(io.stdout, 'stopped');
    return ExitCode.ok;
  } finally {
    process.off('SIGHUP', onHangup);
    process.off('SIGUSR1', onRotate);
    shutdown.dispose();
  }
}
