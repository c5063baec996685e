/**
 * Starts a real gateway from YAML text on loopback, the way `shadowgate run` does: files on disk, the
 * config pipeline, a snapshot, listeners on port 0.
 */
import assert from 'node:assert/strict';
import { buildSnapshotFromPaths, formatDiagnostic } from '../../src/config/index.ts';
import { Gateway, type GatewayOptions } from '../../src/gateway.ts';
import type { Snapshot } from '../../src/snapshot/types.ts';
import { writeConfig } from '../support/index.ts';

export interface RunningGateway {
  readonly gateway: Gateway;
  /** `http://127.0.0.1:PORT` of the first listener. */
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

interface AfterHook {
  after(fn: () => unknown): void;
}

export async function compileYaml(yaml: string, options: Parameters<typeof buildSnapshotFromPaths>[1] = {}): Promise<Snapshot> {
  const { file } = writeConfig(yaml);
  const { snapshot, diagnostics } = await buildSnapshotFromPaths([file], options);
  const errors = diagnostics.filter((d) => d.severity === 'error');
  assert.equal(errors.length, 0, errors.map(formatDiagnostic).join('\n'));
  return snapshot!;
}

export async function startGateway(
  t: AfterHook,
  yaml: string,
  options: GatewayOptions & { compile?: Parameters<typeof buildSnapshotFromPaths>[1] } = {},
): Promise<RunningGateway> {
  const snapshot = await compileYaml(yaml, options.compile);
  const gateway = await Gateway.start(snapshot, options);
  const [first] = gateway.addresses();
  assert.ok(first, 'the gateway bound a listener');
  const running = {
    gateway,
    url: `${first.protocol === 'HTTPS' ? 'https' : 'http'}://127.0.0.1:${first.port}`,
    port: first.port,
    close: () => gateway.close(1000),
  };
  t.after(() => running.close());
  return running;
}

/** A ServiceEntry for a loopback service with one HTTP port; `endpoints` are [port, labels] pairs. */
export function serviceEntry(
  host: string,
  servicePort: number,
  endpoints: readonly (readonly [number, Record<string, string>?])[],
  extra: { protocol?: string; name?: string; namespace?: string } = {},
): string {
  const name = extra.name ?? host.replace(/[^a-z0-9-]/g, '-');
  return `
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata:
  name: ${name}
  namespace: ${extra.namespace ?? 'default'}
spec:
  hosts: [${host}]
  location: MESH_EXTERNAL
  resolution: STATIC
  ports:
    - number: ${servicePort}
      name: ${(extra.protocol ?? 'HTTP').toLowerCase()}
      protocol: ${extra.protocol ?? 'HTTP'}
  endpoints:
${endpoints
  .map(
    ([port, labels]) =>
      `    - address: 127.0.0.1\n      ports: { ${(extra.protocol ?? 'HTTP').toLowerCase()}: ${port} }` +
      (labels ? `\n      labels: ${JSON.stringify(labels)}` : ''),
  )
  .join('\n')}
---`;
}

/** A Gateway listening on 127.0.0.1 with an OS-assigned port, for every host. */
export const loopbackGateway = `
apiVersion: networking.istio.io/v1
kind: Gateway
metadata:
  name: edge
spec:
  servers:
    - port: { number: 0, name: http, protocol: HTTP }
      bind: 127.0.0.1
      hosts: ["*"]
---`;

/**
 * The usual test topology: `httpbin` (primary, port 8000) and `httpbin-next` (shadow, port 80) on
 * loopback, a Gateway, and a VirtualService whose `http[0]` gets `routeExtra` (mirror fields etc.).
 */
export function mirrorConfig(primaryPort: number, shadowPort: number, routeExtra: string, vsExtra = ''): string {
  return `${loopbackGateway}
${serviceEntry('httpbin', 8000, [[primaryPort]])}
${serviceEntry('httpbin-next', 80, [[shadowPort]])}
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: httpbin
${vsExtra}
spec:
  hosts: ["*"]
  gateways: [edge]
  http:
    - name: main
      route:
        - destination: { host: httpbin, port: { number: 8000 } }
${routeExtra
  .split('\n')
  .map((line) => (line.trim() === '' ? '' : `      ${line}`))
  .join('\n')}
`;
}
