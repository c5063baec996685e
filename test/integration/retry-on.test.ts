/** retries.retryOn values on real sockets: which answers are retried. */
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { test } from 'node:test';
import { requestVia, testAgent } from '../support/index.ts';
import { listenOnLoopback } from '../support/listen.ts';
import { loopbackGateway, serviceEntry, startGateway } from './harness.ts';

/** Answers the first request for each path with `status`, later ones with 200. */
async function failOnce(t: { after(fn: () => unknown): void }, status: number) {
  const seen = new Map<string, number>();
  const server = createServer((req, res) => {
    const n = (seen.get(req.url ?? '') ?? 0) + 1;
    seen.set(req.url ?? '', n);
    res.writeHead(n === 1 ? status : 200, { 'content-type': 'text/plain' });
    res.end(`attempt ${n}`);
  });
  const { port, close } = await listenOnLoopback(server);
  t.after(close);
  return { port, attempts: (path: string) => seen.get(path) ?? 0 };
}

function yaml(port: number, retryOn: string): string {
  return `${loopbackGateway}
${serviceEntry('backend', 8000, [[port]])}
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: vs
spec:
  hosts: ["*"]
  gateways: [edge]
  http:
    - retries: { attempts: 2, retryOn: "${retryOn}" }
      route:
        - destination: { host: backend }
`;
}

const cases: readonly [string, number, boolean][] = [
  ['retriable-4xx', 409, true],
  ['5xx', 409, false],
  ['5xx', 500, true],
  ['gateway-error', 502, true],
  ['gateway-error', 500, false],
  ['connect-failure,429', 429, true],
  ['retriable-status-codes,418', 418, true],
  ['reset', 503, false],
];

for (const [retryOn, status, retried] of cases) {
  test(`retryOn ${retryOn}: a ${status} is ${retried ? '' : 'not '}retried`, async (t) => {
    const backend = await failOnce(t, status);
    const { url } = await startGateway(t, yaml(backend.port, retryOn));
    const response = await requestVia(`${url}/x`, { agent: testAgent(t), host: 'backend' });
    assert.equal(response.status, retried ? 200 : status);
    assert.equal(backend.attempts('/x'), retried ? 2 : 1);
  });
}
