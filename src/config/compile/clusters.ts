/**
 * Cluster targets → `Cluster`s: the subset's endpoints of a ServiceEntry, with the DestinationRule's
 * load balancer, connection pool, outlier detection and TLS settings for the cluster's port (see
 * traffic-policy.ts for Istio's merge) filled in with Istio's defaults.
 */
import type { Cluster, ConnectionPoolSettings, Endpoint, UpstreamTls } from '../../snapshot/types.ts';
import type { CompileContext } from './context.ts';
import type { ClusterTarget } from './destinations.ts';
import { effectiveSections, type TlsSection } from './traffic-policy.ts';

/** 2^32-1, what Istio writes for a circuit breaker threshold nobody set. */
const UNLIMITED = 4_294_967_295;

/** Envoy/Istio defaults for a cluster without a connection pool policy. */
export const DEFAULT_CONNECTION_POOL: ConnectionPoolSettings = {
  maxConnections: 1024,
  connectTimeoutMs: 10_000,
  maxPendingRequests: 1024,
  idleTimeoutMs: 3_600_000,
  maxRequestsPerConnection: 0,
  maxRequests: UNLIMITED,
  maxRetries: UNLIMITED,
};

export function buildCluster(target: ClusterTarget, ctx: CompileContext): Cluster {
  const { service, port, subset, subsetSpec } = target;
  const policy = effectiveSections(target.rule?.policy ?? null, subsetSpec?.policy ?? null, port.number);
  const pool = policy.connectionPool ?? {};
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
    loadBalancer: policy.loadBalancer?.policy ?? 'ROUND_ROBIN',
    consistentHash: policy.loadBalancer?.consistentHash ?? null,
    connectionPool: { ...DEFAULT_CONNECTION_POOL, ...pool },
    outlierDetection: policy.outlierDetection ?? null,
    tls: upstreamTls(policy.tls ?? {}, port.protocol, service.host),
    source: service.source,
  };
}

/** TLS origination: a DestinationRule's SIMPLE or MUTUAL mode, or an HTTPS port no rule sets to DISABLE. */
function upstreamTls(tls: TlsSection, protocol: string, host: string): UpstreamTls | null {
  const mode = tls.mode ?? (protocol === 'HTTPS' ? 'SIMPLE' : 'DISABLE');
  if (mode === 'DISABLE') return null;
  return {
    mode,
    sni: tls.sni ?? host,
    ca: tls.ca?.pem ?? null,
    caFile: tls.ca?.file ?? null,
    insecureSkipVerify: tls.insecureSkipVerify ?? false,
    clientCertificate: mode === 'MUTUAL' ? (tls.clientCertificate ?? null) : null,
    credentialName: tls.credentialName ?? null,
  };
}
