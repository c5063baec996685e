/**
 * `shadowgate demo`: a whole mirroring setup on loopback in one command. Two echo services (the
 * primary "httpbin v1" and the shadow "httpbin mirror"), a config written as ordinary Istio YAML and
 * loaded through the normal pipeline, the gateway with its admin server (so the dashboard shows the
 * mirroring live), and gentle traffic, with a live count of what the primary and the shadow received.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ConfigDiagnostic } from '../config/index.ts';
import { GatewayRuntime } from '../control/runtime.ts';
import { DEMO_HOST, demoConfigYaml } from './demo-config.ts';
import { startEchoService, type EchoService } from './echo-service.ts';
import { isPortFree } from './port-probe.ts';
import { statusLine, summaryLines, type DemoTally } from './status-line.ts';
import { startTraffic, type Traffic } from './traffic.ts';

/** The port the demo asks for first; it falls back to a free port when this one is taken. */
export const DEMO_DEFAULT_PORT = 8080;
/** The admin port the demo asks for first (shadowgate's usual one); a free port if it is taken. */
export const DEMO_DEFAULT_ADMIN_PORT = 15000;
const LOOPBACK = '127.0.0.1';

export interface DemoOptions {
  /** Gateway port. Given: used as is (taken means failure). Omitted: 8080, or a free port if taken. */
  readonly port?: number;
  /** Admin (dashboard) port. Given: used as is. Omitted: 15000, or a free port if taken. */
  readonly adminPort?: number;
  /** Share of /headers and /anything requests mirrored, 0..100. Defaults to 50. */
  readonly percentage?: number;
  /** Traffic generator rate. Defaults to 20 requests per second. */
  readonly ratePerSecond?: number;
  /** How often the status line is printed. Defaults to 1 second. */
  readonly statusIntervalMs?: number;
  /** Stops the demo (Ctrl-C, SIGTERM, or a duration). */
  readonly signal: AbortSignal;
  readonly out: NodeJS.WritableStream & { isTTY?: boolean };
}

export type DemoError =
  | { readonly code: 'DEMO_CONFIG_INVALID'; readonly diagnostics: readonly ConfigDiagnostic[] }
  | { readonly code: 'DEMO_START_FAILED'; readonly message: string; readonly cause: unknown };

export type DemoResult =
  | { readonly ok: true; readonly tally: DemoTally }
  | { readonly ok: false; readonly error: DemoError };

/** Runs until `options.signal` aborts, then closes everything it started. Never throws for start-up failures. */
export async function runDemo(options: DemoOptions): Promise<DemoResult> {
  const { out } = options;
  const percentage = options.percentage ?? 50;
  const closers: (() => Promise<void>)[] = [];
  const closeAll = async (): Promise<void> => {
    // Reverse order of start: traffic, then gateway (which drains shadows), then backends, then files.
    for (const close of closers.reverse()) await close().catch(() => {});
  };
  const started = performance.now();

  let primary: EchoService;
  let shadow: EchoService;
  let runtime: GatewayRuntime;
  let configFile: string;
  let fellBack = false;
  try {
    primary = await startEchoService({ name: 'httpbin v1', host: LOOPBACK });
    closers.push(() => primary.close());
    shadow = await startEchoService({ name: 'httpbin mirror', host: LOOPBACK });
    closers.push(() => shadow.close());

    let gatewayPort = options.port ?? DEMO_DEFAULT_PORT;
    if (options.port === undefined && !(await isPortFree(LOOPBACK, gatewayPort))) {
      gatewayPort = 0;
      fellBack = true;
    }

    const dir = await mkdtemp(join(tmpdir(), 'shadowgate-demo-'));
    closers.push(() => rm(dir, { recursive: true, force: true }));
    configFile = join(dir, 'demo.yaml');
    await writeFile(configFile, demoConfigYaml({ gatewayPort, primaryPort: primary.port, shadowPort: shadow.port, percentage }));

    const start = (adminPort: number) =>
      GatewayRuntime.start({
        paths: [configFile],
        admin: { host: LOOPBACK, port: adminPort, token: null },
        accessLog: 'off',
        drainTimeoutMs: 2000,
        watch: false,
      });
    let adminPort = options.adminPort ?? DEMO_DEFAULT_ADMIN_PORT;
    if (options.adminPort === undefined && !(await isPortFree(LOOPBACK, adminPort))) adminPort = 0;
    // Free a moment ago is not free now: someone else may have bound it meanwhile; take any port then.
    const started = await start(adminPort).catch((error: unknown) => {
      if (options.adminPort === undefined && adminPort !== 0 && (error as NodeJS.ErrnoException).code === 'EADDRINUSE') return start(0);
      throw error;
    });
    if (!started.ok) {
      await closeAll();
      return { ok: false, error: { code: 'DEMO_CONFIG_INVALID', diagnostics: started.diagnostics } };
    }
    runtime = started.runtime;
    closers.push(() => runtime.shutdown());
  } catch (error) {
    await closeAll();
    const message = error instanceof Error ? error.message : String(error);
    return { ok: false, error: { code: 'DEMO_START_FAILED', message, cause: error } };
  }

  const listener = runtime.dataPlane.addresses()[0];
  const gatewayUrl = listener ? `http://${listener.address}:${listener.port}` : `http://${LOOPBACK}`;
  const admin = runtime.adminAddress!;
  const dashboardUrl = `http://${admin.address}:${admin.port}/dashboard`;
  const lines = [
    `Dashboard: ${dashboardUrl}  (open it in a browser: primary and shadow QPS side by side; change the percentage there)`,
    '',
    'shadowgate demo: mirroring on loopback',
    `  primary   "httpbin v1"      ${primary.url}`,
    `  shadow    "httpbin mirror"  ${shadow.url}`,
    `  gateway                     ${gatewayUrl}${listener ? ` (listener ${listener.name})` : ''}`,
    ...(fellBack ? [`            port ${DEMO_DEFAULT_PORT} was taken, so the gateway took a free port`] : []),
    `  config                      ${configFile}`,
    `  mirroring ${percentage}% of /headers and /anything to the shadow, with Host ${DEMO_HOST}-shadow`,
    '',
    'Try it:',
    `  curl -s -H 'Host: ${DEMO_HOST}' ${gatewayUrl}/headers`,
    '',
    `Sending about ${options.ratePerSecond ?? 20} requests/s. Ctrl-C to stop.`,
  ];
  out.write(`${lines.join('\n')}\n`);

  const stopTraffic = new AbortController();
  const traffic = startTraffic({
    url: gatewayUrl,
    host: DEMO_HOST,
    ratePerSecond: options.ratePerSecond ?? 20,
    signal: stopTraffic.signal,
  });
  closers.push(async () => {
    stopTraffic.abort();
    await traffic.done;
  });

  const tally = (): DemoTally => ({
    sent: traffic.counts.sent,
    failed: failedCount(traffic),
    primary: primary.count,
    shadow: shadow.count,
    lastShadowHost: shadow.last?.headers.host ?? null,
  });
  // On a terminal the status line rewrites itself; piped (CI, tests) it prints one line per tick.
  const live = out.isTTY === true;
  const status = setInterval(() => {
    out.write(live ? `\r\x1b[2K${statusLine(tally())}` : `${statusLine(tally())}\n`);
  }, options.statusIntervalMs ?? 1000);

  await new Promise<void>((resolve) => {
    if (options.signal.aborted) resolve();
    else options.signal.addEventListener('abort', () => resolve(), { once: true });
  });
  clearInterval(status);
  if (live) out.write('\n');
  out.write('stopping...\n');
  await closeAll();
  const final = tally();
  out.write(`${summaryLines(final, (performance.now() - started) / 1000).join('\n')}\n`);
  return { ok: true, tally: final };
}

/** Requests that did not get a 2xx: error statuses plus requests with no response at all. */
function failedCount(traffic: Traffic): number {
  let failed = 0;
  for (const [status, n] of traffic.counts.byStatus) if (status < 200 || status >= 300) failed += n;
  for (const n of traffic.counts.errors.values()) failed += n;
  return failed;
}
