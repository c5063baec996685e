/**
 * A large, valid multi-document config for load benchmarks and tests: one Gateway, then pairs of a
 * ServiceEntry and a VirtualService (four http routes each: prefix, regex, header and exact matches,
 * a retry, a mirror) until the text reaches the requested size.
 */

const HEAD = `apiVersion: networking.istio.io/v1
kind: Gateway
metadata:
  name: big
  namespace: bench
spec:
  servers:
  - port:
      number: 0
      name: http
      protocol: HTTP
    bind: 127.0.0.1
    hosts:
    - "*"
`;

/** The ServiceEntry and VirtualService of service `i`. */
function servicePair(i: number): string {
  const host = `svc${i}.bench.internal`;
  return `---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata:
  name: svc${i}
  namespace: bench
  labels:
    team: team-${i % 50}
spec:
  hosts:
  - ${host}
  location: MESH_INTERNAL
  resolution: STATIC
  ports:
  - number: 80
    name: http
    protocol: HTTP
  endpoints:
  - address: 127.0.0.1
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: vs${i}
  namespace: bench
spec:
  hosts:
  - "api${i}.example.com"
  gateways:
  - big
  http:
  - name: prefix
    match:
    - uri:
        prefix: /api/v1/svc${i}/
    route:
    - destination:
        host: ${host}
        port:
          number: 80
    retries:
      attempts: 2
      perTryTimeout: 1s
  - name: regex
    match:
    - uri:
        regex: /items/svc${i}/[0-9]+/detail
    route:
    - destination:
        host: ${host}
    rewrite:
      uriRegexRewrite:
        match: ^/items/(.*)$
        rewrite: /v2/\\1
  - name: header
    match:
    - uri:
        prefix: /tenant/
      headers:
        x-tenant:
          exact: tenant-${i}
    route:
    - destination:
        host: ${host}
    mirror:
      host: ${host}
    mirrorPercentage:
      value: 5
  - name: exact
    match:
    - method:
        exact: POST
      uri:
        exact: /orders/svc${i}
    route:
    - destination:
        host: ${host}
    timeout: 5s
`;
}

/** Config text of at least `bytes` bytes (ASCII, so characters are bytes); `services` pairs in it. */
export function generateConfig(bytes: number): { text: string; services: number } {
  const parts = [HEAD];
  let size = HEAD.length;
  let services = 0;
  while (size < bytes) {
    const part = servicePair(services++);
    parts.push(part);
    size += part.length;
  }
  return { text: parts.join(''), services };
}
