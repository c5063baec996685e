/**
 * Compiled listeners → Envoy `Listener`s: one HTTP connection manager per filter chain, pointing at the
 * listener's route configuration by name, and for HTTPS one filter chain per Gateway server certificate,
 * matched on SNI. Certificates appear as file names or SDS Secret names; their contents never do.
 */
import type { Listener, TlsServerContext } from '../../snapshot/types.ts';
import {
  TYPE_URLS,
  type EnvoyDownstreamTlsContext,
  type EnvoyFilterChain,
  type EnvoyHttpConnectionManager,
  type EnvoyListener,
  type EnvoySdsSecretConfig,
  type EnvoyTypedFilter,
} from './envoy-types.ts';
import { sourceText } from './values.ts';

/** `port` is the bound port (the OS's choice for a listener configured with port 0). */
export function renderListener(listener: Listener, port: number, routeConfigName: string): EnvoyListener {
  const hcm = httpConnectionManager(listener, routeConfigName);
  const base = {
    '@type': TYPE_URLS.listener,
    name: listener.name,
    address: { socket_address: { address: listener.address, port_value: port } },
  } as const;
  const metadata = { filter_metadata: { shadowgate: { sources: listener.sources.map(sourceText), gateways: [...listener.gateways] } } };
  const tls = listener.tls ?? [];
  if (listener.protocol !== 'HTTPS' || tls.length === 0) {
    return { ...base, filter_chains: [{ filters: [hcm] }], metadata };
  }
  const chains = tls.map((context) => tlsFilterChain(context, hcm, true));
  // The data plane answers an unknown (or missing) SNI with the first server's certificate; a `*`
  // server already matches everything, otherwise Envoy needs a default chain to do the same.
  // Known difference: the data plane takes the first server whose hosts match in config order, where
  // Envoy would prefer the most specific server name.
  const catchAll = tls.some((context) => context.hosts.includes('*'));
  return {
    ...base,
    filter_chains: chains,
    ...(catchAll ? {} : { default_filter_chain: tlsFilterChain(tls[0]!, hcm, false) }),
    listener_filters: [{ name: 'envoy.filters.listener.tls_inspector', typed_config: { '@type': TYPE_URLS.tlsInspector } }],
    metadata,
  };
}

function httpConnectionManager(listener: Listener, routeConfigName: string): EnvoyTypedFilter<EnvoyHttpConnectionManager> {
  return {
    name: 'envoy.filters.network.http_connection_manager',
    typed_config: {
      '@type': TYPE_URLS.httpConnectionManager,
      stat_prefix: `outbound_${listener.name}`,
      rds: { route_config_name: routeConfigName },
      http_filters: [{ name: 'envoy.filters.http.router', typed_config: { '@type': TYPE_URLS.router } }],
      use_remote_address: true,
    },
  };
}

function tlsFilterChain(context: TlsServerContext, hcm: EnvoyTypedFilter<EnvoyHttpConnectionManager>, matchSni: boolean): EnvoyFilterChain {
  const serverNames = context.hosts.includes('*') ? [] : [...context.hosts];
  return {
    ...(matchSni && serverNames.length > 0 ? { filter_chain_match: { server_names: serverNames } } : {}),
    filters: [hcm],
    transport_socket: { name: 'envoy.transport_sockets.tls', typed_config: downstreamTlsContext(context) },
  };
}

/**
 * A Gateway server's TLS as Istio writes it. Certificates appear as file names, or as the Secret's SDS
 * name for `credentialName`; `context.cert`, `context.key` and `context.ca` hold PEM text and are never
 * read here.
 */
export function downstreamTlsContext(context: TlsServerContext): EnvoyDownstreamTlsContext {
  const secret = context.credentialName === null ? null : `kubernetes://${context.credentialName.slice(context.credentialName.indexOf('/') + 1)}`;
  const certificates =
    secret !== null
      ? { tls_certificate_sds_secret_configs: [sdsSecret(secret)] }
      : { tls_certificates: [{ certificate_chain: { filename: context.certFile ?? '' }, private_key: { filename: context.keyFile ?? '' } }] };
  const params =
    context.minVersion !== null || context.maxVersion !== null || context.cipherSuites.length > 0
      ? {
          tls_params: {
            tls_minimum_protocol_version: context.minVersion ?? 'TLS_AUTO',
            tls_maximum_protocol_version: context.maxVersion ?? 'TLS_AUTO',
            ...(context.cipherSuites.length > 0 ? { cipher_suites: [...context.cipherSuites] } : {}),
          },
        }
      : {};
  const sans = context.subjectAltNames.length > 0 ? { match_subject_alt_names: context.subjectAltNames.map((exact) => ({ exact })) } : {};
  const validation =
    context.mode === 'SIMPLE'
      ? {}
      : secret !== null && context.caFile === null
        ? { combined_validation_context: { default_validation_context: sans, validation_context_sds_secret_config: sdsSecret(`${secret}-cacert`) } }
        : { validation_context: { ...(context.caFile !== null ? { trusted_ca: { filename: context.caFile } } : {}), ...sans } };
  return {
    '@type': TYPE_URLS.downstreamTlsContext,
    common_tls_context: { ...certificates, ...params, ...validation },
    ...(context.mode === 'SIMPLE' ? {} : { require_client_certificate: context.mode === 'MUTUAL' }),
  };
}

function sdsSecret(name: string): EnvoySdsSecretConfig {
  return { name, sds_config: { ads: {}, resource_api_version: 'V3' } };
}
