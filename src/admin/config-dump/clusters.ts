/**
 * Compiled clusters → Envoy `Cluster`s with their endpoints inline (`load_assignment`), Istio's cluster
 * metadata, and TLS origination that names the CA file but never carries its PEM text.
 */
import type { Cluster, UpstreamTls } from '../../snapshot/types.ts';
import { TYPE_URLS, type EnvoyCluster, type EnvoyTypedFilter, type EnvoyUpstreamTlsContext } from './envoy-types.ts';
import { envoyDuration, sourceText } from './values.ts';

export function renderCluster(cluster: Cluster): EnvoyCluster {
  const pool = cluster.connectionPool;
  const dns = cluster.resolution === 'DNS';
  return {
    '@type': TYPE_URLS.cluster,
    name: cluster.name,
    type: dns ? 'STRICT_DNS' : 'STATIC',
    connect_timeout: envoyDuration(pool.connectTimeoutMs),
    lb_policy: cluster.loadBalancer,
    // The data plane looks names up with `all: true` and uses every address returned.
    ...(dns ? { dns_lookup_family: 'ALL' as const } : {}),
    // Istio maps connectionPool maxConnections / http1MaxPendingRequests onto these thresholds.
    circuit_breakers: { thresholds: [{ max_connections: pool.maxConnections, max_pending_requests: pool.maxPendingRequests }] },
    common_http_protocol_options: { idle_timeout: envoyDuration(pool.idleTimeoutMs) },
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

/**
 * `insecureSkipVerify` is Envoy's ACCEPT_UNTRUSTED; a DestinationRule without `caCertificates` trusts
 * the system store (`system_root_certs`). Only the CA's file name is shown, never its contents.
 */
function upstreamTls(tls: UpstreamTls): EnvoyTypedFilter<EnvoyUpstreamTlsContext> {
  const validation: EnvoyUpstreamTlsContext['common_tls_context']['validation_context'] = {
    ...(tls.caFile !== null ? { trusted_ca: { filename: tls.caFile } } : { system_root_certs: {} }),
    ...(tls.insecureSkipVerify ? { trust_chain_verification: 'ACCEPT_UNTRUSTED' as const } : {}),
  };
  return {
    name: 'envoy.transport_sockets.tls',
    typed_config: { '@type': TYPE_URLS.upstreamTlsContext, common_tls_context: { validation_context: validation }, sni: tls.sni },
  };
}
