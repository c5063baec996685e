/**
 * The compiled snapshot: everything the data plane needs, precomputed once per config version and
 * deep-frozen. The proxy reads one snapshot reference per request; a reload builds a new snapshot and
 * swaps the reference, so a request never sees half of two configs.
 *
 * Vocabulary follows Envoy's: listeners hold virtual hosts, virtual hosts hold routes, routes point at
 * clusters by name, clusters hold endpoints. Cluster names follow Istio: `outbound|PORT|SUBSET|HOST`.
 */
import type { MirrorExtensions } from './mirror-extensions.ts';
import type { DomainTable } from './domain-table.ts';
import type { Re2Regex } from './regex.ts';

/** Where a compiled object came from, so errors and the config dump can point back at the YAML. */
export interface SourceRef {
  readonly file: string;
  readonly line: number;
  readonly column: number;
  readonly kind: string;
  readonly namespace: string;
  readonly name: string;
}

export type ListenerProtocol = 'HTTP' | 'HTTPS';

/** Envoy's `TlsParameters` protocol names (`TLS_AUTO` is written as `null`). */
export type TlsProtocolVersion = 'TLSv1_0' | 'TLSv1_1' | 'TLSv1_2' | 'TLSv1_3';

/**
 * Client certificates a Gateway server asks for: `SIMPLE` none; `MUTUAL` one is required and
 * verified; `OPTIONAL_MUTUAL` one is requested and verified when presented.
 */
export type ServerTlsMode = 'SIMPLE' | 'MUTUAL' | 'OPTIONAL_MUTUAL';

/** One HTTPS Gateway server's TLS (Envoy's `DownstreamTlsContext`). The PEM texts never leave the data plane. */
export interface TlsServerContext {
  /** Gateway server hosts this certificate serves (SNI); `*` matches any. */
  readonly hosts: readonly string[];
  readonly mode: ServerTlsMode;
  /** The files the certificate was read from; `null` when it came from a Secret. */
  readonly certFile: string | null;
  readonly keyFile: string | null;
  readonly cert: string;
  readonly key: string;
  /** `namespace/name` of the `credentialName` Secret; `null` for files. */
  readonly credentialName: string | null;
  /** PEM of the CA client certificates are verified against; set exactly when `mode` is not SIMPLE. */
  readonly ca: string | null;
  /** `caCertificates`; `null` when the CA came from the Secret (or there is none). */
  readonly caFile: string | null;
  /** MUTUAL/OPTIONAL_MUTUAL: a client certificate must carry one of these SANs; empty for any. */
  readonly subjectAltNames: readonly string[];
  /** `null` for TLS_AUTO (TLS 1.2 minimum, TLS 1.3 maximum, as Envoy). */
  readonly minVersion: TlsProtocolVersion | null;
  readonly maxVersion: TlsProtocolVersion | null;
  /** Envoy (BoringSSL) TLS 1.2 cipher names, deduplicated; empty for the defaults. */
  readonly cipherSuites: readonly string[];
}

export interface Listener {
  /**
   * `ADDRESS_PORT`, as Istio names gateway listeners (`0.0.0.0_8080`); `mesh_ADDRESS_PORT` for the mesh
   * listener (`--mesh-listener`).
   */
  readonly name: string;
  /**
   * `namespace/name` of every Gateway with a server on this listener, in config order (`mesh` for
   * the mesh listener): the gateways its routes were generated for.
   */
  readonly gateways: readonly string[];
  readonly address: string;
  /** 0 asks the OS for a free port (tests and the demo use this). */
  readonly port: number;
  readonly protocol: ListenerProtocol;
  /** One entry per HTTPS Gateway server on this port; the first is the default certificate. */
  readonly tls: readonly TlsServerContext[] | null;
  readonly virtualHosts: VirtualHostTable;
  /**
   * Whether the Host header is matched with its port (Envoy's `ignore_port_in_host_matching: false`):
   * true on the mesh listener, whose domains carry the service port (`reviews:9080`); absent on
   * Gateway listeners, whose domains have no port and which match the Host without it.
   */
  readonly matchPortInHost?: boolean;
  /** One per Gateway server on this listener, in config order. */
  readonly sources: readonly SourceRef[];
  /** The Gateway servers this listener serves, for messages about it (none on the mesh listener). */
  readonly servers?: readonly ListenerServer[];
}

/** A Gateway server as a person names it: `Gateway default/edge, server http`. */
export interface ListenerServer {
  /** `namespace/name` of the Gateway. */
  readonly gateway: string;
  /** The server's `name`, else its `port.name`, else `servers[INDEX]`. */
  readonly server: string;
}

/** A listener's virtual hosts, by domain in Envoy's order (see domain-table.ts). */
export interface VirtualHostTable extends DomainTable<VirtualHost> {
  readonly all: readonly VirtualHost[];
}

export interface VirtualHost {
  /** `HOST:PORT` as Istio names gateway virtual hosts. */
  readonly name: string;
  /**
   * Lower-case domains: without port on Gateway listeners; on the mesh listener with the service port
   * (`reviews:9080`), and for port 80 also without (see `Listener.matchPortInHost`).
   */
  readonly domains: readonly string[];
  /** `namespace/name` of the Gateways whose servers bound a VirtualService to this host (or `mesh`). */
  readonly gateways: readonly string[];
  /**
   * Envoy's `require_tls: ALL` (a Gateway server's `httpsRedirect`): a request on a plain connection
   * is answered 301 to `https://` the same host and path, whatever the routes.
   */
  readonly requireTls?: boolean;
  readonly routes: readonly Route[];
}

export type StringMatch =
  | { readonly kind: 'exact'; readonly value: string }
  | { readonly kind: 'prefix'; readonly value: string }
  | { readonly kind: 'regex'; readonly value: string; readonly regex: Re2Regex };

export interface HeaderCondition {
  /** Lower-case header name. */
  readonly name: string;
  readonly match: StringMatch;
}

export interface QueryCondition {
  readonly name: string;
  readonly match: StringMatch;
}

/** One `match[]` entry of an Istio HTTPRoute: all present conditions must hold. */
export interface RequestMatch {
  readonly uri: StringMatch | null;
  /** For a case-insensitive uri match the pattern is already lower-cased (a regex is compiled case-insensitive). */
  readonly ignoreUriCase: boolean;
  readonly method: StringMatch | null;
  readonly authority: StringMatch | null;
  readonly headers: readonly HeaderCondition[] | null;
  readonly withoutHeaders: readonly HeaderCondition[] | null;
  readonly queryParams: readonly QueryCondition[] | null;
}

export interface HeaderOperations {
  /** Lower-case names. */
  readonly set: readonly (readonly [string, string])[];
  readonly add: readonly (readonly [string, string])[];
  readonly remove: readonly string[];
}

export interface HeaderPolicy {
  readonly request: HeaderOperations | null;
  readonly response: HeaderOperations | null;
}

export interface WeightedCluster {
  readonly cluster: string;
  readonly weight: number;
  readonly headers: HeaderPolicy | null;
}

export interface RetryPolicy {
  /** Retries after the first attempt (Istio `attempts`). */
  readonly numRetries: number;
  readonly perTryTimeoutMs: number | null;
  /** Envoy retry_on conditions, e.g. `connect-failure`, `5xx`, `gateway-error`, `reset`. */
  readonly retryOn: ReadonlySet<string>;
  readonly retriableStatusCodes: ReadonlySet<number>;
}

export interface Rewrite {
  /** Replacement for the matched prefix (or the whole path for exact matches). */
  readonly uri: string | null;
  /** `rewrite` in `String.prototype.replace` syntax (`$1`), converted from RE2's `\1`. */
  readonly uriRegex: { readonly regex: Re2Regex; readonly rewrite: string } | null;
  readonly authority: string | null;
}

/** One mirror of a route, Envoy's `request_mirror_policies[]` entry. */
export interface MirrorPolicy {
  readonly cluster: string;
  /** Sampling threshold out of 1,000,000 (`numerator` with denominator MILLION). */
  readonly perMillion: number;
  /** Whether the copy's authority gets `-shadow` appended. */
  readonly hostSuffix: boolean;
  /** Where the policy came from: the VirtualService, or a runtime override. */
  readonly origin: 'config' | 'override';
  /**
   * How Istio would write the fraction in Envoy config: `HUNDRED` for the deprecated integer
   * `mirrorPercent`, else (absent) `MILLION`. Only the config dump reads it; sampling uses `perMillion`.
   */
  readonly denominator?: 'HUNDRED';
  /** What a MirrorPolicy resource adds (header rules, sticky sampling, comparison, capture); absent: none. */
  readonly extensions?: MirrorExtensions | null;
}

/**
 * Istio `fault`, Envoy's fault filter on this route. It runs before the router: an aborted request
 * never reaches an upstream or a mirror; a delayed one is routed (and mirrored) when the delay ends.
 * Each part draws on its own, so a request can be delayed and then aborted.
 */
export interface FaultPolicy {
  readonly delay: FaultDelay | null;
  readonly abort: FaultAbort | null;
}

export interface FaultDelay {
  readonly delayMs: number;
  /** Share of requests delayed, out of 1,000,000. */
  readonly perMillion: number;
  /** `HUNDRED` when written as the deprecated integer `percent` (only the config dump reads it). */
  readonly denominator?: 'HUNDRED';
}

export interface FaultAbort {
  readonly httpStatus: number;
  /** Share of requests aborted, out of 1,000,000. */
  readonly perMillion: number;
  /** Set when no percentage was written: Istio leaves Envoy's out (only the config dump reads it). */
  readonly percentageUnset?: true;
}

/** Envoy's redirect response codes, the ones Istio's `redirectCode` maps to. */
export type RedirectCode = 301 | 302 | 303 | 307 | 308;

/** Istio `redirect` (Envoy `RedirectAction`): the gateway answers with a Location; nothing is forwarded. */
export interface RedirectAction {
  readonly scheme: string | null;
  readonly host: string | null;
  /**
   * `port` as written, or `'request'` for `derivePort: FROM_REQUEST_PORT` (Istio writes the listener's
   * port), `null` to keep the request's port as Envoy does (FROM_PROTOCOL_DEFAULT drops it).
   */
  readonly port: number | 'request' | null;
  readonly path: string | null;
  readonly responseCode: RedirectCode;
}

/** Istio `directResponse` (Envoy `DirectResponseAction`). */
export interface DirectResponseAction {
  readonly status: number;
  /** The body to send; `null` for none. */
  readonly body: Buffer | null;
  /** How it was written: `string` (Envoy `inline_string`) or `bytes` (`inline_bytes`). */
  readonly bodyKind: 'string' | 'bytes' | null;
}

/** Istio `corsPolicy` as Envoy's CORS filter holds it (lists already joined with `,`). */
export interface CorsPolicy {
  readonly allowOrigins: readonly StringMatch[];
  /** '' when not set. */
  readonly allowMethods: string;
  readonly allowHeaders: string;
  readonly exposeHeaders: string;
  /** Seconds, '' when not set. */
  readonly maxAge: string;
  /** `null` when not set (Envoy's BoolValue). */
  readonly allowCredentials: boolean | null;
  /** Istio `unmatchedPreflights`: FORWARD (default) sends a preflight with a foreign origin upstream. */
  readonly forwardNotMatchingPreflights: boolean;
}

export interface Route {
  /** Stable id `namespace/virtualservice/route` (the http route's name, or its index when unnamed). */
  readonly id: string;
  readonly name: string;
  /** Any of these may match; `null` matches every request. */
  readonly matches: readonly RequestMatch[] | null;
  /** Weighted destinations; weights sum to 100 when there is more than one; empty for a redirect or direct response. */
  readonly clusters: readonly WeightedCluster[];
  readonly totalWeight: number;
  readonly rewrite: Rewrite | null;
  /** Whole-request timeout; `null` means none (Istio's default `0s`). */
  readonly timeoutMs: number | null;
  readonly retry: RetryPolicy | null;
  readonly headers: HeaderPolicy | null;
  /** `null` when the route mirrors nothing, so the hot path does one null check. */
  readonly mirrors: readonly MirrorPolicy[] | null;
  /** Fault injection before routing, `null` when none. */
  readonly fault: FaultPolicy | null;
  /** Set when the gateway answers with a redirect instead of forwarding. */
  readonly redirect: RedirectAction | null;
  /** Set when the gateway answers itself instead of forwarding. */
  readonly directResponse: DirectResponseAction | null;
  readonly cors: CorsPolicy | null;
  readonly source: SourceRef;
}

/** Envoy's `lb_policy`: the `simple` policies, or RING_HASH / MAGLEV for Istio's `consistentHash`. */
export type LoadBalancerPolicy = 'ROUND_ROBIN' | 'LEAST_REQUEST' | 'RANDOM' | 'RING_HASH' | 'MAGLEV';

/** What a consistent-hash cluster hashes a request by (Istio `consistentHash` → Envoy's route `hash_policy`). */
export type HashKey =
  | { readonly kind: 'header'; /** Lower-case. */ readonly name: string }
  /** With `ttlMs` set, a request without the cookie gets one generated (0: a session cookie). */
  | { readonly kind: 'cookie'; readonly name: string; readonly path: string | null; readonly ttlMs: number | null }
  | { readonly kind: 'sourceIp' }
  | { readonly kind: 'queryParameter'; readonly name: string };

export interface ConsistentHashPolicy {
  readonly key: HashKey;
  /** RING_HASH only: Envoy's `minimum_ring_size` (1024 when Istio sets none). */
  readonly minimumRingSize: number | null;
  /** MAGLEV only: a prime table size (65537 when Istio sets none). */
  readonly tableSize: number | null;
}

/**
 * Istio `outlierDetection` as Envoy applies it: consecutive 5xx (local-origin failures count as 5xx)
 * and consecutive gateway errors (502/503/504 and local-origin failures) eject an endpoint for
 * `baseEjectionMs` times the number of its ejections, never more than `maxEjectionPercent` of the
 * cluster's endpoints at once; a returned endpoint is seen at the next `intervalMs` sweep.
 */
export interface OutlierDetectionPolicy {
  /** 0 turns this detector off. */
  readonly consecutive5xx: number;
  /** 0 turns this detector off (Envoy's default: Istio enforces it only when set). */
  readonly consecutiveGatewayFailure: number;
  readonly intervalMs: number;
  readonly baseEjectionMs: number;
  /** Envoy's `max_ejection_time`: 300 s or the base ejection time, whichever is larger. */
  readonly maxEjectionMs: number;
  readonly maxEjectionPercent: number;
  /** Envoy's `healthy_panic_threshold`: below this share of healthy endpoints, balance over all of them. */
  readonly minHealthPercent: number;
}

/** A client certificate for `tls.mode: MUTUAL`. The PEM texts never leave the data plane. */
export interface ClientCertificate {
  readonly cert: string;
  readonly key: string;
  /** The files it was read from; `null` when it came from a Secret (`credentialName`). */
  readonly certFile: string | null;
  readonly keyFile: string | null;
}

export interface UpstreamTls {
  readonly mode: 'SIMPLE' | 'MUTUAL';
  readonly sni: string;
  /** PEM text of the CA bundle, or `null` for the system store. */
  readonly ca: string | null;
  readonly caFile: string | null;
  readonly insecureSkipVerify: boolean;
  /** MUTUAL only. */
  readonly clientCertificate: ClientCertificate | null;
  /** The Secret the certificate (and CA) came from, `namespace/name`; `null` for files. */
  readonly credentialName: string | null;
}

export interface ConnectionPoolSettings {
  /** Per endpoint. */
  readonly maxConnections: number;
  readonly connectTimeoutMs: number;
  /** Requests allowed to wait beyond maxConnections before overflow (503, flag UO). */
  readonly maxPendingRequests: number;
  readonly idleTimeoutMs: number;
  /** A connection is closed after this many requests; 0 for no limit (Istio's default). */
  readonly maxRequestsPerConnection: number;
  /** Requests in flight to the cluster (Istio `http2MaxRequests`, Envoy `max_requests`); past it 503 UO. */
  readonly maxRequests: number;
  /** Retries in flight to the cluster (Envoy `max_retries`); a retry past it is not attempted. */
  readonly maxRetries: number;
}

export interface Endpoint {
  /** IP address or DNS name (for `resolution: DNS`). */
  readonly address: string;
  readonly port: number;
  readonly weight: number;
  readonly labels: Readonly<Record<string, string>>;
}

export interface Cluster {
  /** `outbound|PORT|SUBSET|HOST`. */
  readonly name: string;
  readonly serviceHost: string;
  readonly servicePort: number;
  readonly subset: string;
  /** The service port's protocol (`HTTP`, `HTTPS`, `HTTP2`, ...). */
  readonly protocol: string;
  readonly resolution: 'STATIC' | 'DNS';
  readonly endpoints: readonly Endpoint[];
  readonly loadBalancer: LoadBalancerPolicy;
  /** Set exactly when `loadBalancer` is RING_HASH or MAGLEV. */
  readonly consistentHash: ConsistentHashPolicy | null;
  readonly connectionPool: ConnectionPoolSettings;
  /** `null` when no DestinationRule sets `outlierDetection` (Istio then configures none). */
  readonly outlierDetection: OutlierDetectionPolicy | null;
  /** TLS origination, `null` for plain HTTP. */
  readonly tls: UpstreamTls | null;
  readonly source: SourceRef;
}

export interface MirrorSettings {
  /** Bound of each shadow's request-body copy; a larger body abandons that copy. */
  readonly maxBodyBytes: number;
  /** Shadow timeout when the route has none. */
  readonly defaultTimeoutMs: number;
  /** In-flight shadows per mirror cluster; past it copies are dropped, not queued. */
  readonly maxInFlight: number;
  /** Bytes of a shadow's response body read (and discarded) before its connection is closed. */
  readonly maxResponseBytes: number;
}

export interface ProxySettings {
  /** A request body up to this size is kept so the request can be retried; larger bodies are not retried. */
  readonly retryBufferBytes: number;
}

export interface Snapshot {
  /** Content hash of the resources the snapshot was built from. */
  readonly version: string;
  readonly loadedAt: string;
  readonly listeners: readonly Listener[];
  readonly clusters: ReadonlyMap<string, Cluster>;
  readonly mirror: MirrorSettings;
  readonly proxy: ProxySettings;
}
