/**
 * Every field of Istio's networking API that shadowgate reads, one table per protobuf message (from
 * istio/api networking/v1alpha3/*.proto, which networking.istio.io/v1 and v1beta1 share, and the
 * generated CRD schemas), with what shadowgate does with it. This is the one source of truth for:
 *
 * - unknown fields: a key that is not in its message's table is an error (`UNKNOWN_FIELD`), with the
 *   closest known name suggested, as kubectl's strict field validation rejects it;
 * - unsupported fields (`UNSUPPORTED_FIELD`): `refused` when ignoring the field would change which
 *   requests are served, routed or mirrored (an error), `ignored` when it only tunes behaviour (a
 *   warning);
 * - the zod schemas: a test checks that each schema object has exactly the `supported` fields of its
 *   table (test/config/fields.test.ts), so implementing a field is a one-line flip here plus its schema;
 * - the README's "What of Istio's API works" table (`fieldStatusRows`).
 */
import type { FieldTableKind } from '../source.ts';

/** What shadowgate does with a field. */
export type FieldStatus = 'supported' | 'refused' | 'ignored';

export interface FieldRule {
  readonly status: FieldStatus;
  /** The message the field holds (for a list: of each item; for a map: of each value); a key of `MESSAGE_FIELDS`. */
  readonly message?: string;
  /** Whether the field is a map whose values are `message`s. */
  readonly map?: boolean;
  /** Whether the field is a list (of `message`s); the walk leaves a value of the wrong shape to the schema. */
  readonly list?: boolean;
  /** Appended to the diagnostic, or a note on a supported field in the README. */
  readonly hint?: string;
}

const ok = (message?: string, hint?: string): FieldRule => ({ status: 'supported', ...(message && { message }), ...(hint && { hint }) });
const okMap = (message: string): FieldRule => ({ status: 'supported', message, map: true });
/** Not implemented, and ignoring it would change what is served: an error. */
const refuse = (message?: string, hint?: string): FieldRule => ({ status: 'refused', ...(message && { message }), ...(hint && { hint }) });
/** Not implemented, only tunes behaviour: a warning, and the field is ignored. */
const ignore = (message?: string, hint?: string): FieldRule => ({ status: 'ignored', ...(message && { message }), ...(hint && { hint }) });

/** A repeated field. */
const list = (rule: FieldRule): FieldRule => ({ ...rule, list: true });

const HTTP_ONLY = 'shadowgate routes HTTP only; TCP and TLS Gateway servers are refused';

const MESSAGES = {
  // ---- VirtualService (virtual_service.proto) -------------------------------------------------
  VirtualService: {
    hosts: ok(undefined, 'empty for a delegate VirtualService'),
    gateways: ok(),
    http: list(ok('HTTPRoute')),
    tls: list(ignore('TLSRoute', HTTP_ONLY)),
    tcp: list(ignore('TCPRoute', HTTP_ONLY)),
    exportTo: ok(undefined, 'a resource not exported to --proxy-namespace is skipped, as that gateway would not see it'),
  },
  HTTPRoute: {
    name: ok(),
    match: list(ok('HTTPMatchRequest')),
    route: list(ok('HTTPRouteDestination')),
    redirect: ok('HTTPRedirect', 'answered by the gateway (Location as Envoy builds it); never forwarded nor mirrored'),
    directResponse: ok('HTTPDirectResponse', 'answered by the gateway; never forwarded nor mirrored'),
    delegate: ok('Delegate', "one level; the delegate's routes replace this one, merged as Istio merges them"),
    rewrite: ok('HTTPRewrite'),
    timeout: ok(),
    retries: ok('HTTPRetry'),
    fault: ok('HTTPFaultInjection', 'before the router: an aborted request is never mirrored, a delayed one is mirrored when it proceeds; flags FI/DI'),
    mirror: ok('Destination'),
    mirrors: list(ok('HTTPMirrorPolicy')),
    mirrorPercent: ok(undefined, 'deprecated integer; mirrorPercentage wins when both are set'),
    mirror_percent: ok(undefined, 'the same field as mirrorPercent'),
    mirrorPercentage: ok('Percent'),
    corsPolicy: ok('CorsPolicy', "as Envoy's CORS filter: an allowed origin's preflight is answered by the gateway"),
    headers: ok('Headers'),
  },
  HTTPMatchRequest: {
    name: ok(),
    uri: ok('StringMatch'),
    scheme: refuse('StringMatch'),
    method: ok('StringMatch'),
    authority: ok('StringMatch'),
    headers: okMap('StringMatch'),
    port: ok(undefined, 'compared with the listener port when the config is compiled'),
    sourceLabels: ok(undefined, "compared with --proxy-labels (this gateway's labels)"),
    gateways: ok(undefined, 'the Gateway the listener came from; overrides the VirtualService gateways'),
    queryParams: okMap('StringMatch'),
    ignoreUriCase: ok(),
    withoutHeaders: okMap('StringMatch'),
    sourceNamespace: ok(undefined, 'compared with --proxy-namespace'),
    statPrefix: ignore(undefined, 'shadowgate has no per-route stats prefix'),
  },
  HTTPRouteDestination: { destination: ok('Destination'), weight: ok(), headers: ok('Headers') },
  RouteDestination: { destination: ok('Destination'), weight: ok() },
  Destination: { host: ok(), subset: ok(), port: ok('PortSelector') },
  PortSelector: { number: ok() },
  Headers: { request: ok('HeaderOperations'), response: ok('HeaderOperations') },
  HeaderOperations: { set: ok(), add: ok(), remove: ok() },
  TLSRoute: { match: list(ok('TLSMatchAttributes')), route: list(ok('RouteDestination')) },
  TCPRoute: { match: list(ok('L4MatchAttributes')), route: list(ok('RouteDestination')) },
  L4MatchAttributes: { destinationSubnets: ok(), port: ok(), sourceSubnet: ok(), sourceLabels: ok(), gateways: ok(), sourceNamespace: ok() },
  TLSMatchAttributes: { sniHosts: ok(), destinationSubnets: ok(), port: ok(), sourceLabels: ok(), gateways: ok(), sourceNamespace: ok() },
  HTTPRedirect: { uri: ok(), authority: ok(), port: ok(), derivePort: ok(), scheme: ok(), redirectCode: ok(), prefixRewrite: ok() },
  HTTPDirectResponse: { status: ok(), body: ok('HTTPBody') },
  HTTPBody: { string: ok(), bytes: ok() },
  Delegate: { name: ok(), namespace: ok() },
  HTTPRewrite: { uri: ok(), authority: ok(), uriRegexRewrite: ok('RegexRewrite') },
  RegexRewrite: { match: ok(), rewrite: ok() },
  StringMatch: { exact: ok(), prefix: ok(), regex: ok() },
  HTTPRetry: {
    attempts: ok(),
    perTryTimeout: ok(),
    retryOn: ok(),
    retryRemoteLocalities: ignore(undefined, 'shadowgate has no localities'),
    retryIgnorePreviousHosts: ignore(),
    backoff: ignore(),
  },
  CorsPolicy: {
    allowOrigin: ok(),
    allowOrigins: list(ok('StringMatch')),
    allowMethods: ok(),
    allowHeaders: ok(),
    exposeHeaders: ok(),
    maxAge: ok(),
    allowCredentials: ok(),
    unmatchedPreflights: ok(),
  },
  HTTPFaultInjection: { delay: ok('FaultDelay'), abort: ok('FaultAbort') },
  FaultDelay: {
    percent: ok(undefined, 'deprecated integer; percentage wins when both are set'),
    fixedDelay: ok(),
    exponentialDelay: refuse(undefined, 'Istio does not implement it either; use fixedDelay'),
    percentage: ok('Percent'),
  },
  FaultAbort: {
    httpStatus: ok(),
    grpcStatus: refuse(undefined, 'shadowgate proxies HTTP/1.1, not gRPC; use httpStatus'),
    http2Error: refuse(undefined, 'Istio does not implement it either; use httpStatus'),
    percentage: ok('Percent'),
  },
  HTTPMirrorPolicy: { destination: ok('Destination'), percentage: ok('Percent') },
  Percent: { value: ok() },

  // ---- Gateway (gateway.proto) ------------------------------------------------------------------
  Gateway: { servers: list(ok('Server')), selector: ok(undefined, 'accepted and not used: shadowgate is the gateway') },
  Server: {
    port: ok('Port'),
    bind: ok(),
    hosts: ok(),
    tls: ok('ServerTLSSettings'),
    defaultEndpoint: ignore(undefined, 'applies to sidecars only'),
    name: ok(),
  },
  Port: { number: ok(), protocol: ok(), name: ok(), targetPort: ignore(undefined, 'deprecated; shadowgate listens on port.number') },
  ServerTLSSettings: {
    httpsRedirect: ok(undefined, 'on an HTTP server: every request is answered 301 with https://host/path (Envoy require_tls ALL)'),
    mode: ok(undefined, 'SIMPLE, MUTUAL, OPTIONAL_MUTUAL; PASSTHROUGH, AUTO_PASSTHROUGH and ISTIO_MUTUAL are errors'),
    serverCertificate: ok(),
    privateKey: ok(),
    caCertificates: ok(undefined, 'the CA that client certificates are verified against (MUTUAL, OPTIONAL_MUTUAL)'),
    caCrl: refuse(undefined, 'shadowgate does not check revocation lists; ignoring one would accept revoked client certificates'),
    credentialName: ok(undefined, "a kubernetes.io/tls or Opaque Secret in the config files, in the gateway's namespace (--proxy-namespace), as Istio reads it from the gateway deployment's"),
    credentialNames: refuse(undefined, 'one certificate per server: use credentialName'),
    caCertCredentialName: refuse(undefined, 'put ca.crt in the credentialName Secret, or use a <name>-cacert Secret'),
    tlsCertificates: list(refuse('TLSCertificate', 'one certificate per server: use serverCertificate and privateKey, or credentialName')),
    subjectAltNames: ok(undefined, "MUTUAL: a client certificate is accepted only with one of these SANs (exact)"),
    verifyCertificateSpki: refuse(undefined, 'not implemented; ignoring it would accept client certificates Istio refuses'),
    verifyCertificateHash: refuse(undefined, 'not implemented; ignoring it would accept client certificates Istio refuses'),
    minProtocolVersion: ok(undefined, 'TLS_AUTO is TLS 1.2, as Envoy; per port: servers sharing a port must agree'),
    maxProtocolVersion: ok(undefined, 'TLS_AUTO is TLS 1.3; per port: servers sharing a port must agree'),
    cipherSuites: ok(undefined, "Envoy's TLS 1.2 names (ECDHE-RSA-AES128-GCM-SHA256, ...); an unknown one is an error; TLS 1.3 suites are not configurable, as in Envoy; per port"),
    insecureSkipVerify: ignore(undefined, 'a server always verifies the client certificates it asks for'),
  },
  TLSCertificate: { serverCertificate: ok(), privateKey: ok(), caCertificates: ok() },

  // ---- DestinationRule (destination_rule.proto) -------------------------------------------------
  DestinationRule: {
    host: ok(),
    trafficPolicy: ok('TrafficPolicy'),
    subsets: list(ok('Subset')),
    exportTo: ok(undefined, 'a resource not exported to --proxy-namespace is skipped, as that gateway would not see it'),
    workloadSelector: ignore('WorkloadSelector', 'applies to sidecars only'),
  },
  WorkloadSelector: { matchLabels: ok() },
  TrafficPolicy: {
    loadBalancer: ok('LoadBalancerSettings'),
    connectionPool: ok('ConnectionPoolSettings'),
    outlierDetection: ok('OutlierDetection'),
    tls: ok('ClientTLSSettings'),
    portLevelSettings: list(ok('PortTrafficPolicy', 'replaces the policy\'s four sections for that port (Istio\'s merge)')),
    tunnel: refuse('TunnelSettings'),
    proxyProtocol: refuse('ProxyProtocol'),
    retryBudget: ignore('RetryBudget'),
  },
  PortTrafficPolicy: {
    port: ok('PortSelector'),
    loadBalancer: ok('LoadBalancerSettings'),
    connectionPool: ok('ConnectionPoolSettings'),
    outlierDetection: ok('OutlierDetection'),
    tls: ok('ClientTLSSettings'),
  },
  TunnelSettings: { protocol: ok(), targetHost: ok(), targetPort: ok() },
  ProxyProtocol: { version: ok() },
  RetryBudget: { percent: ok(), minRetryConcurrency: ok(), budgetInterval: ok() },
  Subset: { name: ok(), labels: ok(), trafficPolicy: ok('TrafficPolicy') },
  LoadBalancerSettings: {
    simple: ok(),
    consistentHash: ok('ConsistentHashLB', 'ring hash (default) or Maglev on XXH64, as Envoy'),
    localityLbSetting: ignore('LocalityLoadBalancerSetting', 'shadowgate has no localities'),
    zoneAwareLbSetting: ignore('ZoneAwareLoadBalancerSetting', 'shadowgate has no localities'),
    warmupDurationSecs: ignore(),
    warmup: ignore('WarmupConfiguration'),
  },
  ConsistentHashLB: {
    httpHeaderName: ok(),
    httpCookie: ok('HTTPCookie'),
    useSourceIp: ok(),
    httpQueryParameterName: ok(),
    ringHash: ok('RingHash'),
    maglev: ok('MagLev'),
    minimumRingSize: ok(),
  },
  RingHash: { minimumRingSize: ok() },
  MagLev: { tableSize: ok() },
  HTTPCookie: {
    name: ok(),
    path: ok(),
    ttl: ok(),
    attributes: list(ignore('HTTPCookieAttribute', 'a generated cookie gets Max-Age, Path and HttpOnly only')),
  },
  HTTPCookieAttribute: { name: ok(), value: ok() },
  WarmupConfiguration: { duration: ok(), minimumPercent: ok(), aggression: ok() },
  ConnectionPoolSettings: { tcp: ok('TCPSettings'), http: ok('HTTPSettings') },
  TCPSettings: {
    maxConnections: ok(),
    connectTimeout: ok(),
    tcpKeepalive: ignore('TcpKeepalive'),
    maxConnectionDuration: ignore(),
    idleTimeout: ignore(undefined, 'use connectionPool.http.idleTimeout'),
  },
  TcpKeepalive: { probes: ok(), time: ok(), interval: ok() },
  HTTPSettings: {
    http1MaxPendingRequests: ok(),
    http2MaxRequests: ok(undefined, 'requests in flight per cluster; past it 503 UO'),
    maxRequestsPerConnection: ok(),
    maxRetries: ok(undefined, 'retries in flight per cluster; a retry past it is not attempted'),
    idleTimeout: ok(),
    h2UpgradePolicy: ignore(undefined, 'shadowgate speaks HTTP/1.1 upstream'),
    useClientProtocol: ignore(undefined, 'shadowgate speaks HTTP/1.1 upstream'),
    maxConcurrentStreams: ignore(undefined, 'shadowgate speaks HTTP/1.1 upstream'),
    http2KeepAlive: ignore('ConnectionKeepalive', 'shadowgate speaks HTTP/1.1 upstream'),
  },
  ConnectionKeepalive: { interval: ok(), timeout: ok() },
  OutlierDetection: {
    consecutiveErrors: ok(),
    splitExternalLocalOriginErrors: ignore(undefined, 'local-origin failures count as 5xx answers, as when it is false'),
    consecutiveLocalOriginFailures: ignore(undefined, 'applies with splitExternalLocalOriginErrors only'),
    consecutiveGatewayErrors: ok(),
    consecutive5xxErrors: ok(),
    interval: ok(),
    baseEjectionTime: ok(),
    maxEjectionPercent: ok(),
    minHealthPercent: ok(),
    outlierDetectionHttpErrorCodes: ignore(undefined, 'Envoy\'s 5xx and gateway-error detectors decide'),
  },
  ClientTLSSettings: {
    mode: ok(),
    clientCertificate: ok(),
    privateKey: ok(),
    caCertificates: ok(),
    credentialName: ok(undefined, 'a kubernetes.io/tls or Opaque Secret in the config files, in the DestinationRule\'s namespace'),
    subjectAltNames: refuse(undefined, 'the upstream certificate would be accepted without this check'),
    sni: ok(),
    insecureSkipVerify: ok(),
    caCrl: refuse(undefined, 'the upstream certificate would be accepted without this check'),
  },
  LocalityLoadBalancerSetting: { distribute: list(ok('LocalityDistribute')), failover: list(ok('LocalityFailover')), failoverPriority: ok(), enabled: ok() },
  LocalityDistribute: { from: ok(), to: ok() },
  LocalityFailover: { from: ok(), to: ok() },
  ZoneAwareLoadBalancerSetting: { enabled: ok(), failover: list(ok('LocalityFailover')), failoverPriority: ok(), minClusterSize: ok() },

  // ---- ServiceEntry (service_entry.proto, workload_entry.proto) ---------------------------------
  ServiceEntry: {
    hosts: ok(),
    addresses: ignore(undefined, 'virtual IPs matter to sidecars only'),
    ports: list(ok('ServicePort')),
    location: ok(),
    resolution: ok(),
    endpoints: list(ok('WorkloadEntry')),
    workloadSelector: refuse('ServiceEntryWorkloadSelector', 'list the endpoints in endpoints[]'),
    exportTo: ok(undefined, 'a resource not exported to --proxy-namespace is skipped, as that gateway would not see it'),
    subjectAltNames: ignore(undefined, 'used for ISTIO_MUTUAL only'),
  },
  ServiceEntryWorkloadSelector: { labels: ok() },
  ServicePort: { number: ok(), protocol: ok(), name: ok(), targetPort: ok() },
  WorkloadEntry: {
    address: ok(),
    ports: ok(),
    labels: ok(),
    network: ignore(undefined, 'shadowgate has one network'),
    locality: ignore(undefined, 'shadowgate has no localities'),
    weight: ok(),
    serviceAccount: ignore(undefined, 'used for ISTIO_MUTUAL only'),
  },

  // ---- Kubernetes core/v1 Secret, read for credentialName (its top-level fields stand in for spec) ----
  Secret: { type: ok(), data: ok(), stringData: ok(), immutable: ok() },
} satisfies Record<string, Record<string, FieldRule>>;

/** A protobuf message name, a key of `MESSAGE_FIELDS`. */
export type MessageName = string;

/** Field tables by message name (a test checks that every `message` a rule names is here). */
export const MESSAGE_FIELDS: Readonly<Record<MessageName, Readonly<Record<string, FieldRule>>>> = MESSAGES;

/** The field table of a message (throws for a name that is not in `MESSAGE_FIELDS`: a bug in the tables). */
export function messageFields(message: MessageName): Readonly<Record<string, FieldRule>> {
  const fields = MESSAGE_FIELDS[message];
  if (fields === undefined) throw new Error(`no field table for Istio message ${message}`);
  return fields;
}

/** The message of each kind's `spec`. */
export const SPEC_MESSAGE: Readonly<Record<FieldTableKind, MessageName>> = {
  Gateway: 'Gateway',
  VirtualService: 'VirtualService',
  DestinationRule: 'DestinationRule',
  ServiceEntry: 'ServiceEntry',
  Secret: 'Secret',
};

/** One row of the README table: a field path under `spec`, its status and why. */
export interface FieldStatusRow {
  readonly kind: FieldTableKind;
  /** `http[].match[].gateways`: list items are written `[]`, map values `{}`. */
  readonly path: string;
  readonly status: FieldStatus;
  /** Set when the status comes from an enclosing field (`fault.delay` is refused because `fault` is). */
  readonly inherited: boolean;
  readonly hint: string;
}

/** Every field of every kind, depth first in table order; fields under a not-supported field inherit its status. */
export function fieldStatusRows(): FieldStatusRow[] {
  const rows: FieldStatusRow[] = [];
  const walk = (kind: FieldTableKind, message: MessageName, prefix: string, inherited: FieldStatus | null, seen: readonly MessageName[]) => {
    for (const [name, rule] of Object.entries(messageFields(message))) {
      const path = prefix === '' ? name : `${prefix}.${name}`;
      // Rows name a list's items `field[]`, as Istio's reference does (`http[].match[].gateways`).
      const status = inherited ?? rule.status;
      rows.push({ kind, path, status, inherited: inherited !== null, hint: inherited === null ? (rule.hint ?? '') : '' });
      if (rule.message === undefined || seen.includes(rule.message)) continue;
      const sub = rule.map === true ? `${path}{}` : rule.list === true ? `${path}[]` : path;
      walk(kind, rule.message, sub, inherited ?? (rule.status === 'supported' ? null : rule.status), [...seen, rule.message]);
    }
  };
  for (const kind of Object.keys(SPEC_MESSAGE) as FieldTableKind[]) walk(kind, SPEC_MESSAGE[kind], '', null, [SPEC_MESSAGE[kind]]);
  return rows;
}
