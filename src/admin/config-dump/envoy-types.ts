/**
 * The JSON shapes of Envoy's admin `/config_dump` (envoy.admin.v3) that shadowgate renders: only the
 * fields it fills, spelled as Envoy's proto JSON spells them (snake_case, durations as `"10s"`, enums
 * as strings, uint64 wrappers as strings). Extensions live under `metadata.filter_metadata.shadowgate`
 * and the bootstrap entry's `shadowgate` key.
 */

/** Envoy's `@type` URLs, one place. */
export const TYPE_URLS = {
  bootstrapDump: 'type.googleapis.com/envoy.admin.v3.BootstrapConfigDump',
  listenersDump: 'type.googleapis.com/envoy.admin.v3.ListenersConfigDump',
  clustersDump: 'type.googleapis.com/envoy.admin.v3.ClustersConfigDump',
  routesDump: 'type.googleapis.com/envoy.admin.v3.RoutesConfigDump',
  listener: 'type.googleapis.com/envoy.config.listener.v3.Listener',
  cluster: 'type.googleapis.com/envoy.config.cluster.v3.Cluster',
  routeConfiguration: 'type.googleapis.com/envoy.config.route.v3.RouteConfiguration',
  httpConnectionManager: 'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager',
  router: 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router',
  tlsInspector: 'type.googleapis.com/envoy.extensions.filters.listener.tls_inspector.v3.TlsInspector',
  downstreamTlsContext: 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext',
  upstreamTlsContext: 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext',
  previousHostsPredicate: 'type.googleapis.com/envoy.extensions.retry.host.previous_hosts.v3.PreviousHostsPredicate',
  httpFault: 'type.googleapis.com/envoy.extensions.filters.http.fault.v3.HTTPFault',
  corsPolicy: 'type.googleapis.com/envoy.extensions.filters.http.cors.v3.CorsPolicy',
} as const;

export interface SocketAddress {
  readonly socket_address: { readonly address: string; readonly port_value: number };
}

export interface FileDataSource {
  readonly filename: string;
}

/** `envoy.type.matcher.v3.StringMatcher`, the three kinds Istio's StringMatch maps to. */
export type EnvoyStringMatcher =
  | { readonly exact: string }
  | { readonly prefix: string }
  | { readonly safe_regex: { readonly regex: string } };

// ---- Routes -------------------------------------------------------------------------------------

export interface EnvoyHeaderMatcher {
  readonly name: string;
  readonly string_match: EnvoyStringMatcher;
  /** Set for Istio `withoutHeaders`. */
  readonly invert_match?: true;
}

export interface EnvoyQueryParameterMatcher {
  readonly name: string;
  readonly string_match: EnvoyStringMatcher;
}

export type EnvoyPathSpecifier = { readonly prefix: string } | { readonly path: string } | { readonly safe_regex: { readonly regex: string } };

export type EnvoyRouteMatch = EnvoyPathSpecifier & {
  /** Absent on a route without `match[]` (Istio's catch-all `prefix: "/"`). */
  readonly case_sensitive?: boolean;
  readonly headers?: readonly EnvoyHeaderMatcher[];
  readonly query_parameters?: readonly EnvoyQueryParameterMatcher[];
};

export type EnvoyAppendAction = 'OVERWRITE_IF_EXISTS_OR_ADD' | 'APPEND_IF_EXISTS_OR_ADD';

export interface EnvoyHeaderValueOption {
  readonly header: { readonly key: string; readonly value: string };
  readonly append_action: EnvoyAppendAction;
}

/** The header-mutation fields shared by `Route` and `WeightedCluster.ClusterWeight`. */
export interface EnvoyHeaderMutations {
  readonly request_headers_to_add?: readonly EnvoyHeaderValueOption[];
  readonly request_headers_to_remove?: readonly string[];
  readonly response_headers_to_add?: readonly EnvoyHeaderValueOption[];
  readonly response_headers_to_remove?: readonly string[];
}

export type EnvoyClusterWeight = { readonly name: string; readonly weight: number } & EnvoyHeaderMutations;

export interface EnvoyRetryPolicy {
  readonly retry_on: string;
  readonly num_retries: number;
  readonly per_try_timeout?: string;
  readonly retry_host_predicate: readonly { readonly name: string; readonly typed_config: { readonly '@type': string } }[];
  /** int64, so a string in proto JSON. */
  readonly host_selection_retry_max_attempts: string;
  readonly retriable_status_codes?: readonly number[];
}

export interface EnvoyRequestMirrorPolicy {
  readonly cluster: string;
  readonly runtime_fraction: { readonly default_value: { readonly numerator: number; readonly denominator: 'MILLION' | 'HUNDRED' } };
  readonly trace_sampled: false;
  /** Present (true) when the VirtualService turns the `-shadow` authority suffix off, or a MirrorPolicy sets `host_rewrite_literal`. */
  readonly disable_shadow_host_suffix_append?: true;
  /** Envoy 1.36 ShadowPolicy: a MirrorPolicy's header rules for the copy only. */
  readonly request_headers_mutations?: readonly EnvoyShadowHeaderMutation[];
  /** Envoy 1.36 ShadowPolicy: a MirrorPolicy's `authority` for the copy. */
  readonly host_rewrite_literal?: string;
}

/** `envoy.config.common.mutation_rules.v3.HeaderMutation`: one of `append` or `remove`. */
export type EnvoyShadowHeaderMutation =
  | {
      readonly append: {
        readonly header: { readonly key: string; readonly value: string };
        readonly append_action: 'OVERWRITE_IF_EXISTS_OR_ADD' | 'APPEND_IF_EXISTS_OR_ADD';
      };
    }
  | { readonly remove: string };

/** What a MirrorPolicy adds to one mirror that Envoy has no field for (`filter_metadata.shadowgate.mirror_policies[]`). */
export interface ShadowgateMirrorPolicyDump {
  /** `namespace/name` of the MirrorPolicy. */
  readonly source: string;
  readonly sampling?: { readonly key: { readonly header: string } | { readonly cookie: string } | { readonly query_parameter: string } };
  readonly compare?: {
    readonly max_body_bytes: number;
    readonly ignore_headers: readonly string[];
    readonly ignore_paths: readonly string[];
    readonly numeric_tolerance: { readonly absolute: number; readonly relative: number };
    readonly unordered_arrays: readonly string[];
    readonly baseline_cluster?: string;
  };
  readonly capture?: {
    readonly path: string;
    readonly max_file_bytes: number;
    readonly max_files: number;
    readonly max_body_bytes: number;
    readonly redact_headers: readonly string[];
    readonly include_primary_response: boolean;
  };
}

/** `RouteAction.HashPolicy`, the four kinds Istio's `consistentHash` keys map to. */
export type EnvoyHashPolicy =
  | { readonly header: { readonly header_name: string } }
  | { readonly cookie: { readonly name: string; readonly path?: string; readonly ttl?: string } }
  | { readonly connection_properties: { readonly source_ip: true } }
  | { readonly query_parameter: { readonly name: string } };

export type EnvoyRouteAction = ({ readonly cluster: string } | { readonly weighted_clusters: { readonly clusters: readonly EnvoyClusterWeight[] } }) & {
  readonly prefix_rewrite?: string;
  readonly regex_rewrite?: { readonly pattern: { readonly regex: string }; readonly substitution: string };
  readonly host_rewrite_literal?: string;
  readonly hash_policy?: readonly EnvoyHashPolicy[];
  readonly timeout: string;
  readonly retry_policy?: EnvoyRetryPolicy;
  readonly request_mirror_policies?: readonly EnvoyRequestMirrorPolicy[];
};

/** shadowgate's per-route extension: where the route came from and where its mirrors came from. */
export interface ShadowgateRouteMetadata {
  readonly route_id: string;
  /** `file:line` of the VirtualService http route. */
  readonly source: string;
  /** One entry per `request_mirror_policies[]` entry, in the same order. */
  readonly mirror_origins: readonly ('config' | 'override')[];
  /** Whether mirrored copies get `-shadow` appended to their authority; absent when the route mirrors nothing. */
  readonly shadow_host_suffix?: boolean;
  /** Whether a runtime override replaces (or switches off) the route's configured mirrors. */
  readonly mirror_override: boolean;
  /** One per `request_mirror_policies[]` entry (`null`: no MirrorPolicy); absent when no mirror has one. */
  readonly mirror_policies?: readonly (ShadowgateMirrorPolicyDump | null)[];
}

export interface EnvoyFractionalPercent {
  readonly numerator: number;
  readonly denominator: 'HUNDRED' | 'MILLION';
}

/** `envoy.config.route.v3.RedirectAction`. */
export interface EnvoyRedirectAction {
  readonly scheme_redirect?: string;
  readonly host_redirect?: string;
  readonly port_redirect?: number;
  readonly path_redirect?: string;
  readonly prefix_rewrite?: string;
  /** Left out for the default, MOVED_PERMANENTLY. */
  readonly response_code?: 'FOUND' | 'SEE_OTHER' | 'TEMPORARY_REDIRECT' | 'PERMANENT_REDIRECT' | 'MOVED_PERMANENTLY';
}

/** `envoy.config.route.v3.DirectResponseAction`. */
export interface EnvoyDirectResponseAction {
  readonly status: number;
  readonly body?: { readonly inline_string: string } | { readonly inline_bytes: string };
}

/** `envoy.extensions.filters.http.fault.v3.HTTPFault`, as a route's per-filter config. */
export interface EnvoyHttpFault {
  readonly '@type': typeof TYPE_URLS.httpFault;
  readonly delay?: { readonly fixed_delay: string; readonly percentage: EnvoyFractionalPercent };
  /** `percentage` is absent when Istio's abort has none (it then never fires). */
  readonly abort?: { readonly http_status: number; readonly percentage?: EnvoyFractionalPercent };
}

/** `envoy.extensions.filters.http.cors.v3.CorsPolicy`, as a route's per-filter config. */
export interface EnvoyCorsPolicy {
  readonly '@type': typeof TYPE_URLS.corsPolicy;
  readonly allow_origin_string_match?: readonly EnvoyStringMatcher[];
  readonly allow_methods?: string;
  readonly allow_headers?: string;
  readonly expose_headers?: string;
  readonly max_age?: string;
  readonly allow_credentials?: boolean;
  readonly filter_enabled: { readonly default_value: EnvoyFractionalPercent };
  readonly forward_not_matching_preflights: boolean;
}

export interface EnvoyTypedPerFilterConfig {
  readonly 'envoy.filters.http.cors'?: EnvoyCorsPolicy;
  readonly 'envoy.filters.http.fault'?: EnvoyHttpFault;
}

/** One of Envoy's route actions: forward (`route`), `redirect` or `direct_response`. */
export type EnvoyRouteActionField =
  | { readonly route: EnvoyRouteAction }
  | { readonly redirect: EnvoyRedirectAction }
  | { readonly direct_response: EnvoyDirectResponseAction };

export type EnvoyRoute = {
  readonly name: string;
  readonly match: EnvoyRouteMatch;
  readonly metadata: { readonly filter_metadata: { readonly shadowgate: ShadowgateRouteMetadata } };
  readonly typed_per_filter_config?: EnvoyTypedPerFilterConfig;
} & EnvoyRouteActionField &
  EnvoyHeaderMutations;

export interface EnvoyVirtualHost {
  readonly name: string;
  readonly domains: readonly string[];
  readonly routes: readonly EnvoyRoute[];
  /** Istio sets it on gateway virtual hosts: upstream requests carry `x-envoy-attempt-count`. */
  readonly include_request_attempt_count: true;
  /** A Gateway server's `httpsRedirect`: a plain-text request gets a 301 to https. */
  readonly require_tls?: 'ALL';
}

export interface EnvoyRouteConfiguration {
  readonly '@type': typeof TYPE_URLS.routeConfiguration;
  readonly name: string;
  readonly virtual_hosts: readonly EnvoyVirtualHost[];
  readonly validate_clusters: false;
  /** The router compares Host without its port, as Istio's gateway route configurations do. */
  readonly ignore_port_in_host_matching: boolean;
}

// ---- Listeners ----------------------------------------------------------------------------------

export interface EnvoyTypedFilter<T> {
  readonly name: string;
  readonly typed_config: T;
}

export interface EnvoyHttpConnectionManager {
  readonly '@type': typeof TYPE_URLS.httpConnectionManager;
  readonly stat_prefix: string;
  readonly rds: { readonly route_config_name: string };
  readonly http_filters: readonly EnvoyTypedFilter<{ readonly '@type': typeof TYPE_URLS.router }>[];
  /** The data plane appends the peer address to `x-forwarded-for`, as Envoy does with this set. */
  readonly use_remote_address: true;
}

/** An SDS secret reference as Istio writes it for `credentialName` (`kubernetes://NAME`, fetched over ADS). */
export interface EnvoySdsSecretConfig {
  readonly name: string;
  readonly sds_config: { readonly ads: Record<string, never>; readonly resource_api_version: 'V3' };
}

export interface EnvoyCertificateValidationContext {
  /** `caCertificates`, by file name only. */
  readonly trusted_ca?: FileDataSource;
  /** `subjectAltNames`: a client certificate must carry one of them. */
  readonly match_subject_alt_names?: readonly { readonly exact: string }[];
}

export interface EnvoyDownstreamTlsContext {
  readonly '@type': typeof TYPE_URLS.downstreamTlsContext;
  readonly common_tls_context: {
    /** File names only: the certificate and key contents never appear in the dump. */
    readonly tls_certificates?: readonly { readonly certificate_chain: FileDataSource; readonly private_key: FileDataSource }[];
    /** `credentialName`: the Secret by its SDS name, never its contents. */
    readonly tls_certificate_sds_secret_configs?: readonly EnvoySdsSecretConfig[];
    /** Set only when a bound, or the cipher list, is not the default (as Istio writes it). */
    readonly tls_params?: {
      readonly tls_minimum_protocol_version: string;
      readonly tls_maximum_protocol_version: string;
      readonly cipher_suites?: readonly string[];
    };
    /** MUTUAL/OPTIONAL_MUTUAL with `caCertificates`. */
    readonly validation_context?: EnvoyCertificateValidationContext;
    /** MUTUAL/OPTIONAL_MUTUAL with `credentialName`: the CA is the Secret's `-cacert` SDS resource, as Istio names it. */
    readonly combined_validation_context?: {
      readonly default_validation_context: EnvoyCertificateValidationContext;
      readonly validation_context_sds_secret_config: EnvoySdsSecretConfig;
    };
  };
  /** MUTUAL only (OPTIONAL_MUTUAL verifies a certificate when one is presented). */
  readonly require_client_certificate?: boolean;
}

export interface EnvoyFilterChain {
  readonly filter_chain_match?: { readonly server_names: readonly string[] };
  readonly filters: readonly EnvoyTypedFilter<EnvoyHttpConnectionManager>[];
  readonly transport_socket?: EnvoyTypedFilter<EnvoyDownstreamTlsContext>;
}

export interface EnvoyListener {
  readonly '@type': typeof TYPE_URLS.listener;
  readonly name: string;
  readonly address: SocketAddress;
  readonly filter_chains: readonly EnvoyFilterChain[];
  /** HTTPS listeners whose servers all name hosts: the first server's certificate answers any other SNI. */
  readonly default_filter_chain?: EnvoyFilterChain;
  readonly listener_filters?: readonly EnvoyTypedFilter<{ readonly '@type': typeof TYPE_URLS.tlsInspector }>[];
  readonly metadata: { readonly filter_metadata: { readonly shadowgate: { readonly sources: readonly string[]; readonly gateways: readonly string[] } } };
}

// ---- Clusters -----------------------------------------------------------------------------------

export interface EnvoyLbEndpoint {
  readonly endpoint: { readonly address: SocketAddress };
  readonly load_balancing_weight: number;
  readonly metadata: { readonly filter_metadata: { readonly istio: { readonly labels: Readonly<Record<string, string>> } } };
}

export interface EnvoyUpstreamTlsContext {
  readonly '@type': typeof TYPE_URLS.upstreamTlsContext;
  readonly common_tls_context: {
    /** DestinationRule `clientCertificate` / `privateKey` (MUTUAL), by file name only. */
    readonly tls_certificates?: readonly { readonly certificate_chain: FileDataSource; readonly private_key: FileDataSource }[];
    /** DestinationRule `credentialName` (MUTUAL): the Secret by name, as Istio's SDS config names it. */
    readonly tls_certificate_sds_secret_configs?: readonly { readonly name: string }[];
    readonly validation_context?: {
      /** DestinationRule `caCertificates`; `system_root_certs` when there is none. */
      readonly trusted_ca?: FileDataSource;
      readonly system_root_certs?: Record<string, never>;
      /** DestinationRule `insecureSkipVerify: true`. */
      readonly trust_chain_verification?: 'ACCEPT_UNTRUSTED';
    };
    /** A CA from the `credentialName` Secret (`ca.crt`, or the `<name>-cacert` Secret). */
    readonly validation_context_sds_secret_config?: { readonly name: string };
  };
  readonly sni: string;
}

/** Envoy's `OutlierDetection` as Istio writes it (success-rate ejection off). */
export interface EnvoyOutlierDetection {
  readonly consecutive_5xx: number;
  readonly enforcing_consecutive_5xx: number;
  readonly consecutive_gateway_failure?: number;
  readonly enforcing_consecutive_gateway_failure?: number;
  readonly enforcing_success_rate: 0;
  readonly interval: string;
  readonly base_ejection_time: string;
  readonly max_ejection_percent: number;
}

export interface EnvoyCircuitBreakerThresholds {
  readonly max_connections: number;
  readonly max_pending_requests: number;
  readonly max_requests: number;
  readonly max_retries: number;
}

export interface IstioClusterMetadata {
  readonly services: readonly { readonly host: string; readonly name: string; readonly namespace: string }[];
  readonly default_original_port: number;
  readonly subset?: string;
}

export interface EnvoyCluster {
  readonly '@type': typeof TYPE_URLS.cluster;
  readonly name: string;
  readonly type: 'STATIC' | 'STRICT_DNS';
  readonly connect_timeout: string;
  readonly lb_policy: 'ROUND_ROBIN' | 'LEAST_REQUEST' | 'RANDOM' | 'RING_HASH' | 'MAGLEV';
  /** uint64 sizes, so strings in proto JSON. */
  readonly ring_hash_lb_config?: { readonly minimum_ring_size: string };
  readonly maglev_lb_config?: { readonly table_size: string };
  readonly dns_lookup_family?: 'ALL';
  readonly circuit_breakers: { readonly thresholds: readonly EnvoyCircuitBreakerThresholds[] };
  readonly common_http_protocol_options: { readonly idle_timeout: string; readonly max_requests_per_connection?: number };
  readonly outlier_detection?: EnvoyOutlierDetection;
  /** Istio sets the panic threshold from `minHealthPercent` whenever outlier detection is on. */
  readonly common_lb_config?: { readonly healthy_panic_threshold: { readonly value: number } };
  readonly load_assignment: {
    readonly cluster_name: string;
    readonly endpoints: readonly { readonly locality: Record<string, never>; readonly lb_endpoints: readonly EnvoyLbEndpoint[] }[];
  };
  readonly transport_socket?: EnvoyTypedFilter<EnvoyUpstreamTlsContext>;
  readonly metadata: {
    readonly filter_metadata: {
      readonly istio: IstioClusterMetadata;
      /** `source` is the ServiceEntry host's `file:line`; `protocol` its port's protocol. */
      readonly shadowgate: { readonly source: string; readonly protocol: string };
    };
  };
}

// ---- The dump -----------------------------------------------------------------------------------

/** One rejected reload's error, as `ConfigDiagnostic` carries it. */
export interface RejectedConfigError {
  readonly file: string;
  readonly line: number;
  readonly column: number;
  readonly kind: string;
  readonly namespace: string;
  readonly name: string;
  readonly field: string;
  readonly message: string;
  readonly code: string;
}

/** shadowgate's extension on the bootstrap entry. */
export interface ShadowgateBootstrap {
  /** The last reload that failed (the gateway kept serving the previous config), or null. */
  readonly last_rejected: { readonly at: string; readonly errors: readonly RejectedConfigError[] } | null;
  /** Route ids whose mirrors come from a runtime override, sorted. */
  readonly overrides: readonly string[];
  readonly mirror: {
    readonly max_body_bytes: number;
    readonly default_timeout: string;
    readonly max_in_flight: number;
    readonly max_response_bytes: number;
  };
  readonly proxy: { readonly retry_buffer_bytes: number };
}

export interface BootstrapConfigDump {
  readonly '@type': typeof TYPE_URLS.bootstrapDump;
  readonly bootstrap: {
    readonly node: {
      readonly id: 'shadowgate';
      readonly metadata: { readonly CONFIG_VERSION: string; readonly LOADED_AT: string };
      readonly user_agent_name: 'shadowgate';
    };
  };
  readonly last_updated: string;
  readonly shadowgate: ShadowgateBootstrap;
}

export interface ListenersConfigDump {
  readonly '@type': typeof TYPE_URLS.listenersDump;
  readonly version_info: string;
  readonly dynamic_listeners: readonly {
    readonly name: string;
    readonly active_state: { readonly version_info: string; readonly listener: EnvoyListener; readonly last_updated: string };
  }[];
}

export interface ClustersConfigDump {
  readonly '@type': typeof TYPE_URLS.clustersDump;
  readonly version_info: string;
  readonly dynamic_active_clusters: readonly { readonly version_info: string; readonly cluster: EnvoyCluster; readonly last_updated: string }[];
}

export interface RoutesConfigDump {
  readonly '@type': typeof TYPE_URLS.routesDump;
  readonly dynamic_route_configs: readonly {
    readonly version_info: string;
    readonly route_config: EnvoyRouteConfiguration;
    readonly last_updated: string;
  }[];
}

/** Envoy's `/config_dump` body: bootstrap, listeners, clusters and routes, always in that order. */
export interface ConfigDump {
  readonly configs: readonly [BootstrapConfigDump, ListenersConfigDump, ClustersConfigDump, RoutesConfigDump];
}
