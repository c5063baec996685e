/**
 * The demo's configuration, as plain Istio YAML: the first shadowgate config a newcomer reads, so it
 * is written out in full, with comments, rather than generated from objects.
 */

export interface DemoConfigValues {
  /** Gateway listener port on 127.0.0.1 (0 lets the OS pick). */
  readonly gatewayPort: number;
  /** Where the primary echo service ("httpbin v1") listens. */
  readonly primaryPort: number;
  /** Where the shadow echo service ("httpbin mirror") listens. */
  readonly shadowPort: number;
  /** Share of matching requests copied to the shadow, 0..100. */
  readonly percentage: number;
}

/** The Host header clients send; the VirtualService routes on it. */
export const DEMO_HOST = 'httpbin.example.com';
export const DEMO_NAMESPACE = 'demo';
const PRIMARY_SERVICE = 'httpbin.demo.svc.cluster.local';
const SHADOW_SERVICE = 'httpbin-mirror.demo.svc.cluster.local';

export function demoConfigYaml(v: DemoConfigValues): string {
  return `# shadowgate demo: one gateway, one service, and a mirror of part of its traffic.
# Written by \`shadowgate demo\` for as long as the demo runs; the ports are its echo services'.

# The entry point: an HTTP listener on 127.0.0.1.
apiVersion: networking.istio.io/v1
kind: Gateway
metadata:
  name: demo-gateway
  namespace: ${DEMO_NAMESPACE}
spec:
  selector:
    istio: ingressgateway
  servers:
  - port:
      number: ${v.gatewayPort}
      name: http
      protocol: HTTP
    bind: 127.0.0.1
    hosts:
    - "${DEMO_HOST}"
---
# The primary service: "httpbin v1", a local echo service.
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata:
  name: httpbin
  namespace: ${DEMO_NAMESPACE}
spec:
  hosts:
  - ${PRIMARY_SERVICE}
  location: MESH_INTERNAL
  resolution: STATIC
  ports:
  - number: 8000
    name: http
    protocol: HTTP
  endpoints:
  - address: 127.0.0.1
    ports:
      http: ${v.primaryPort}
    labels:
      version: v1
---
# The shadow service: "httpbin mirror", another local echo service that only sees copies.
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata:
  name: httpbin-mirror
  namespace: ${DEMO_NAMESPACE}
spec:
  hosts:
  - ${SHADOW_SERVICE}
  location: MESH_INTERNAL
  resolution: STATIC
  ports:
  - number: 8000
    name: http
    protocol: HTTP
  endpoints:
  - address: 127.0.0.1
    ports:
      http: ${v.shadowPort}
---
# Subset v1 of the primary service: the endpoints labelled version=v1.
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata:
  name: httpbin
  namespace: ${DEMO_NAMESPACE}
spec:
  host: ${PRIMARY_SERVICE}
  subsets:
  - name: v1
    labels:
      version: v1
---
# Routing: /headers and /anything go to v1, and ${v.percentage}% of them are also copied to the mirror.
# The copy is fire-and-forget: its answer is discarded, and its Host header gets "-shadow" appended
# (${DEMO_HOST} becomes ${DEMO_HOST}-shadow) so the mirror can tell copies from real traffic.
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: httpbin
  namespace: ${DEMO_NAMESPACE}
spec:
  hosts:
  - "${DEMO_HOST}"
  gateways:
  - demo-gateway
  http:
  - name: mirrored
    match:
    - uri:
        prefix: /headers
    - uri:
        prefix: /anything
    route:
    - destination:
        host: ${PRIMARY_SERVICE}
        subset: v1
        port:
          number: 8000
    mirror:
      host: ${SHADOW_SERVICE}
      port:
        number: 8000
    mirrorPercentage:
      value: ${v.percentage}
  - name: everything-else
    route:
    - destination:
        host: ${PRIMARY_SERVICE}
        subset: v1
        port:
          number: 8000
`;
}
