/** VirtualService delegation end to end: a root route hands its match to a delegate's routes. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { requestVia, startEchoService, testAgent } from '../support/index.ts';
import { loopbackGateway, serviceEntry, startGateway } from './harness.ts';

test("requests inside the root's match go to the delegate's routes, merged as Istio merges them", async (t) => {
  const v1 = await startEchoService({ name: 'reviews-v1' });
  const v2 = await startEchoService({ name: 'reviews-v2' });
  const other = await startEchoService({ name: 'other' });
  t.after(() => Promise.all([v1.close(), v2.close(), other.close()]));
  const yaml = `${loopbackGateway}
${serviceEntry('reviews-v1', 9080, [[v1.port]])}
${serviceEntry('reviews-v2', 9080, [[v2.port]], { namespace: 'bookinfo' })}
${serviceEntry('other', 80, [[other.port]])}
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: edge-root
spec:
  hosts: ["*"]
  gateways: [edge]
  http:
    - name: reviews
      match:
        - uri: { prefix: /reviews }
      headers:
        response:
          set: { x-root: "yes" }
      delegate: { name: reviews, namespace: bookinfo }
    - route:
        - destination: { host: other }
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: reviews
  namespace: bookinfo
spec:
  http:
    - name: canary
      match:
        - uri: { prefix: /reviews/v2 }
          headers: { end-user: { exact: jason } }
      route:
        - destination: { host: reviews-v2 }
    - name: stray
      match:
        - uri: { prefix: /ratings }
      route:
        - destination: { host: reviews-v2 }
    - name: rest
      route:
        - destination: { host: reviews-v1.default.svc.cluster.local }
`;
  const { url } = await startGateway(t, yaml);
  const agent = testAgent(t);
  const serviceOf = async (path: string, headers: Record<string, string> = {}) => {
    const response = await requestVia(`${url}${path}`, { agent, host: 'bookinfo.example.com', headers });
    // The echo services answer 404 for paths they do not know; who answered is what matters here.
    assert.notEqual(response.headers['x-echo-service'], undefined, path);
    return { service: response.headers['x-echo-service'], root: response.headers['x-root'] };
  };
  assert.deepEqual(await serviceOf('/reviews/v2/1', { 'end-user': 'jason' }), { service: 'reviews-v2', root: 'yes' });
  assert.deepEqual(await serviceOf('/reviews/v2/1'), { service: 'reviews-v1', root: 'yes' }, 'the canary needs its header');
  assert.deepEqual(await serviceOf('/reviews/1'), { service: 'reviews-v1', root: 'yes' }, "the delegate's catch-all keeps the root's match");
  assert.deepEqual(await serviceOf('/ratings/1'), { service: 'other', root: undefined }, 'a delegate route outside the root match is dropped');
  assert.deepEqual(await serviceOf('/'), { service: 'other', root: undefined });
  assert.equal(v2.count, 1);
});
