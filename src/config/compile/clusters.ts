/**
 * Cluster targets → `Cluster`s: the subset's endpoints of a ServiceEntry, with the DestinationRule's
 * load balancer, connection pool and TLS settings filled in with Istio's defaults.
 */
import type { Cluster, ConnectionPoolSettings, Endpoint, UpstreamTls } from '../../snapshot/types.ts';
import type { CompileContext } from './context.ts';
import type { ClusterTarget } from './destinations.ts';
import type { PartialTrafficPolicy } from './services.ts';

/** Envoy/Istio defaults for a cluster without a connection pool policy. */
export const DEFAULT_CONNECTION_POOL: ConnectionPoolSettings = {
  maxConnections: 1024,
  connectTimeoutMs: 10_000,
  maxPendingRequests: 1024,
  idleTimeoutMs: 3_600_000,
};

export function buildCluster(target: ClusterTarget, ctx: CompileContext): Cluster {
  const { service, port, subset, subsetSpec } = target;
  const policy: PartialTrafficPolicy = subsetSpec?.policy ?? target.rule?.policy ?? {};
  const labels = Object.entries(subsetSpec?.labels ?? {});
  // A DNS entry without endpoints resolves the host as written.
  const candidates = service.endpoints ?? [{ address: service.writtenHost, ports: {}, labels: {}, weight: 1 }];
  const endpoints: Endpoint[] = candidates
    .filter((e) => labels.every(([k, v]) => e.labels[k] === v))
    .map((e) => ({
      address: e.address,
      port: (port.name !== null ? e.ports[port.name] : undefined) ?? port.targetPort ?? port.number,
      weight: e.weight,
      labels: e.labels,
    }));
  if (endpoints.length === 0 && subsetSpec !== null && target.rule !== null) {
    ctx.warn(
      'EMPTY_SUBSET',
      target.rule.resource,
      ['spec', 'subsets', subsetSpec.index, 'labels'],
      `subset ${subset} selects no endpoint of ${service.host}, so cluster ${target.name} has no endpoints`,
    );
  }
  return {
    name: target.name,
    serviceHost: service.host,
    servicePort: port.number,
    subset,
    protocol: port.protocol,
    resolution: service.resolution,
    endpoints,
    loadBalancer: policy.loadBalancer ?? 'ROUND_ROBIN',
    connectionPool: {
      maxConnections: policy.maxConnections ?? DEFAULT_CONNECTION_POOL.maxConnections,
      connectTimeoutMs: policy.connectTimeoutMs ?? DEFAULT_CONNECTION_POOL.connectTimeoutMs,
      maxPendingRequests: policy.maxPendingRequests ?? DEFAULT_CONNECTION_POOL.maxPendingRequests,
      idleTimeoutMs: policy.idleTimeoutMs ?? DEFAULT_CONNECTION_POOL.idleTimeoutMs,
    },
    tls: upstreamTls(policy, port.protocol, service.host),
    source: service.source,
  };
}

/** TLS origination: a DestinationRule's SIMPLE mode, or an HTTPS port no rule sets to DISABLE. */
function upstreamTls(policy: PartialTrafficPolicy, protocol: string, host: string): UpstreamTls | null {
  const originate = policy.tlsMode === 'SIMPLE' || (policy.tlsMode === undefined && protocol === 'HTTPS');
  if (!originate) return null;
  return {
    sni: policy.sni ?? host,
    ca: policy.ca?.pem ?? null,
    caFile: policy.ca?.file ?? null,
    insecureSkipVerify: policy.insecureSkipVerify ?? false,
  };
}
