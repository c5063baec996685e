/**
 * A running gateway for the console's tests: the admin server (so the dashboard), a primary, a shadow,
 * a TCP-only service and a two-port service each with a backend of its own (so a test can see that a
 * refused change sent nothing anywhere), and steady traffic.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { GatewayRuntime, type RuntimeOptions } from '../../src/control/runtime.ts';
import { startTraffic, type Traffic } from '../../src/demo/traffic.ts';
import { makeTempDir, startEchoService, type EchoService } from '../support/index.ts';
import { loopbackGateway, serviceEntry } from '../integration/harness.ts';

interface AfterHook {
  after(fn: () => unknown): void;
}

export const ROUTE = 'default/httpbin/main';

export function consoleConfig(ports: { primary: number; shadow: number; tcp: number; twoPorts: number }, mirrorPct: number): string {
  return `${loopbackGateway}
${serviceEntry('httpbin', 8000, [[ports.primary]])}
${serviceEntry('httpbin-next', 80, [[ports.shadow]])}
${serviceEntry('tcp-echo', 9000, [[ports.tcp]], { protocol: 'TCP' })}
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: { name: two-ports }
spec:
  hosts: [two-ports]
  resolution: STATIC
  ports:
    - { number: 80, name: http, protocol: HTTP }
    - { number: 8080, name: http-alt, protocol: HTTP }
  endpoints: [{ address: 127.0.0.1, ports: { http: ${ports.twoPorts}, http-alt: ${ports.twoPorts} } }]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: httpbin }
spec:
  hosts: ["*"]
  gateways: [edge]
  http:
    - name: main
      route: [{ destination: { host: httpbin, port: { number: 8000 } } }]
      mirror: { host: httpbin-next, port: { number: 80 } }
      mirrorPercentage: { value: ${mirrorPct} }
`;
}

/** Response comparison on for the route's mirror; the echo services answer with their own names, so they differ. */
const COMPARE_POLICY = `---
apiVersion: shadowgate.io/v1alpha1
kind: MirrorPolicy
metadata: { name: httpbin-compare }
spec:
  targetRef: { kind: VirtualService, name: httpbin }
  mirrors:
    - host: httpbin-next
      compare: { ignoreHeaders: [x-echo-service] }
`;

export interface ConsoleGateway {
  readonly runtime: GatewayRuntime;
  readonly url: string;
  readonly admin: string;
  readonly primary: EchoService;
  readonly shadow: EchoService;
  readonly tcp: EchoService;
  readonly twoPorts: EchoService;
  /** Starts steady traffic through the gateway (stopped when the test ends). */
  traffic(ratePerSecond: number): Traffic;
}

export async function startConsoleGateway(
  t: AfterHook,
  options: { mirrorPct?: number; runtime?: Partial<RuntimeOptions>; compare?: boolean } = {},
): Promise<ConsoleGateway> {
  const [primary, shadow, tcp, twoPorts] = await Promise.all(
    ['primary', 'shadow', 'tcp', 'two-ports'].map((name) => startEchoService({ name })),
  );
  t.after(() => Promise.all([primary!.close(), shadow!.close(), tcp!.close(), twoPorts!.close()]));
  const dir = makeTempDir('shadowgate-console-');
  writeFileSync(
    join(dir, 'config.yaml'),
    consoleConfig({ primary: primary!.port, shadow: shadow!.port, tcp: tcp!.port, twoPorts: twoPorts!.port }, options.mirrorPct ?? 100) +
      (options.compare === true ? COMPARE_POLICY : ''),
  );
  const started = await GatewayRuntime.start({
    paths: [dir],
    admin: { host: '127.0.0.1', port: 0, token: null },
    accessLog: 'off',
    drainTimeoutMs: 1000,
    watch: false,
    ...options.runtime,
  });
  assert.ok(started.ok, JSON.stringify(started.diagnostics));
  const { runtime } = started;
  t.after(() => runtime.shutdown());
  const url = `http://127.0.0.1:${runtime.dataPlane.addresses()[0]!.port}`;
  return {
    runtime,
    url,
    admin: `http://127.0.0.1:${runtime.adminAddress!.port}`,
    primary: primary!,
    shadow: shadow!,
    tcp: tcp!,
    twoPorts: twoPorts!,
    traffic(ratePerSecond) {
      const stop = new AbortController();
      const traffic = startTraffic({ url, host: 'httpbin', ratePerSecond, signal: stop.signal });
      t.after(async () => {
        stop.abort();
        await traffic.done;
      });
      return traffic;
    },
  };
}
