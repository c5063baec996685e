/**
 * Compiled clusters → Envoy `Cluster`s with their endpoints inline (`load_assignment`), Istio's cluster
 * metadata, and TLS origination that names the CA file but never carries its PEM text.
 */
import type { Cluster, OutlierDetectionPolicy, UpstreamTls } from '../../snapshot/types.ts';
import {
  TYPE_URLS,
  type EnvoyCluster,
  type EnvoyOutlierDetection,
  type EnvoyTypedFilter,
  type EnvoyUpstreamTlsContext,
} from './envoy-types.ts';
import { envoyDuration, sourceText } from './values.ts';

export function renderCluster(cluster: Cluster): EnvoyCluster {
  const pool = cluster.connectionPool;
  const hash = cluster.consistentHash;
  const outlier = cluster.outlierDetection;
  const dns = cluster.resolution === 'DNS';
  return {
    '@type': TYPE_URLS.cluster,
    name: cluster.name,
    type: dns ? 'STRICT_DNS' : 'STATIC',
    connect_timeout: envoyDuration(pool.connectTimeoutMs),
    lb_policy: cluster.loadBalancer,
    ...(hash?.minimumRingSize != null ? { ring_hash_lb_config: { minimum_ring_size: String(hash.minimumRingSize) } } : {}),
    ...(hash?.tableSize != null ? { maglev_lb_config: { table_size: String(hash.tableSize) } } : {}),
    // The data plane looks names up with `all: true` and uses every address returned.
    ...(dns ? { dns_lookup_family: 'ALL' as const } : {}),
    // Istio maps connectionPool maxConnections, http1MaxPendingRequests, http2MaxRequests and maxRetries here.
    circuit_breakers: {
      thresholds: [
        {
          max_connections: pool.maxConnections,
          max_pending_requests: pool.maxPendingRequests,
          max_requests: pool.maxRequests,
          max_retries: pool.maxRetries,
        },
      ],
    },
    common_http_protocol_options: {
      idle_timeout: envoyDuration(pool.idleTimeoutMs),
      ...(pool.maxRequestsPerConnection > 0 ? { max_requests_per_connection: pool.maxRequestsPerConnection } : {}),
    },
    ...(outlier !== null
      ? {
          outlier_detection: renderOutlierDetection(outlier),
          common_lb_config: { healthy_panic_threshold: { value: outlier.minHealthPercent } },
        }
      : {}),
    load_assignment: {
      cluster_name: cluster.name,
      endpoints: [
        {
          locality: {},
          lb_endpoints: cluster.endpoints.map((e) => ({
            endpoint: { address: { socket_address: { address: e.address, port_value: e.port } } },
            load_balancing_weight: e.weight,
            metadata: { filter_metadata: { istio: { labels: { ...e.labels } } } },
          })),
        },
      ],
    },
    ...(cluster.tls !== null ? { transport_socket: upstreamTls(cluster.tls) } : {}),
    metadata: {
      filter_metadata: {
        istio: {
          services: [{ host: cluster.serviceHost, name: cluster.serviceHost, namespace: cluster.source.namespace }],
          default_original_port: cluster.servicePort,
          ...(cluster.subset !== '' ? { subset: cluster.subset } : {}),
        },
        shadowgate: { source: sourceText(cluster.source), protocol: cluster.protocol },
      },
    },
  };
}

/** Istio's mapping: a detector set to 0 is written with enforcement 0; success-rate ejection is off. */
function renderOutlierDetection(od: OutlierDetectionPolicy): EnvoyOutlierDetection {
  return {
    consecutive_5xx: od.consecutive5xx,
    enforcing_consecutive_5xx: od.consecutive5xx > 0 ? 100 : 0,
    ...(od.consecutiveGatewayFailure > 0
      ? { consecutive_gateway_failure: od.consecutiveGatewayFailure, enforcing_consecutive_gateway_failure: 100 }
      : {}),
    enforcing_success_rate: 0,
    interval: envoyDuration(od.intervalMs),
    base_ejection_time: envoyDuration(od.baseEjectionMs),
    max_ejection_percent: od.maxEjectionPercent,
  };
}

/**
 * `insecureSkipVerify` is Envoy's ACCEPT_UNTRUSTED; a DestinationRule without `caCertificates` trusts
 * the system store (`system_root_certs`). Certificates, keys and CAs appear as file names, or as the
 * Secret's SDS name for `credentialName`, never as contents.
 */
function upstreamTls(tls: UpstreamTls): EnvoyTypedFilter<EnvoyUpstreamTlsContext> {
  const secret = tls.credentialName === null ? null : `kubernetes://${tls.credentialName.slice(tls.credentialName.indexOf('/') + 1)}`;
  const client = tls.clientCertificate;
  const certificates =
    client === null
      ? {}
      : client.certFile !== null && client.keyFile !== null
        ? { tls_certificates: [{ certificate_chain: { filename: client.certFile }, private_key: { filename: client.keyFile } }] }
        : secret !== null
          ? { tls_certificate_sds_secret_configs: [{ name: secret }] }
          : {};
  const validation =
    secret !== null && tls.ca !== null && tls.caFile === null
      ? { validation_context_sds_secret_config: { name: `${secret}-cacert` } }
      : {
          validation_context: {
            ...(tls.caFile !== null ? { trusted_ca: { filename: tls.caFile } } : { system_root_certs: {} }),
            ...(tls.insecureSkipVerify ? { trust_chain_verification: 'ACCEPT_UNTRUSTED' as const } : {}),
          },
        };
  return {
    name: 'envoy.transport_sockets.tls',
    typed_config: { '@type': TYPE_URLS.upstreamTlsContext, common_tls_context: { ...certificates, ...validation }, sni: tls.sni },
  };
}
