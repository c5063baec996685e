/**
 * Known Istio fields that shadowgate reads past. A field listed here gets "is not supported by
 * shadowgate; ignored" instead of the generic unknown-field warning, so a user can tell a typo from a
 * feature gap. Paths are relative to `spec`; `[]` stands for any array index.
 */
import type { ResourceKind } from '../source.ts';

const TRAFFIC_POLICY_FIELDS = [
  'outlierDetection',
  'portLevelSettings',
  'proxyProtocol',
  'tunnel',
  'retryBudget',
  'loadBalancer.consistentHash',
  'loadBalancer.localityLbSetting',
  'loadBalancer.warmupDurationSecs',
  'loadBalancer.warmup',
  'connectionPool.tcp.tcpKeepalive',
  'connectionPool.tcp.maxConnectionDuration',
  'connectionPool.tcp.idleTimeout',
  'connectionPool.http.http2MaxRequests',
  'connectionPool.http.maxRequestsPerConnection',
  'connectionPool.http.maxRetries',
  'connectionPool.http.h2UpgradePolicy',
  'connectionPool.http.useClientProtocol',
  'connectionPool.http.maxConcurrentStreams',
  'tls.clientCertificate',
  'tls.privateKey',
  'tls.credentialName',
  'tls.subjectAltNames',
  'tls.caCrl',
];

const MATCH_FIELDS = ['sourceLabels', 'port', 'gateways', 'scheme', 'sourceNamespace', 'statPrefix'];

const SERVER_TLS_FIELDS = [
  'httpsRedirect',
  'caCertificates',
  'caCrl',
  'credentialName',
  'credentialNames',
  'tlsCertificates',
  'subjectAltNames',
  'verifyCertificateSpki',
  'verifyCertificateHash',
  'minProtocolVersion',
  'maxProtocolVersion',
  'cipherSuites',
];

/** Unsupported field path → a hint appended to the warning ('' for none). */
export const UNSUPPORTED_FIELDS: Readonly<Record<ResourceKind, ReadonlyMap<string, string>>> = {
  Gateway: new Map([
    ['servers[].defaultEndpoint', ''],
    ['servers[].port.targetPort', ''],
    ...SERVER_TLS_FIELDS.map((f): [string, string] => [`servers[].tls.${f}`, '']),
  ]),
  VirtualService: new Map([
    ['tcp', 'shadowgate routes HTTP only'],
    ['tls', 'shadowgate routes HTTP only'],
    ['exportTo', ''],
    ['http[].fault', ''],
    ['http[].corsPolicy', ''],
    ['http[].redirect', ''],
    ['http[].directResponse', ''],
    ['http[].delegate', ''],
    ['http[].mirror_percent', 'use mirrorPercentage'],
    ['http[].mirrorPercent', 'use mirrorPercentage'],
    ['http[].retries.retryRemoteLocalities', ''],
    ['http[].retries.retryIgnorePreviousHosts', ''],
    ['http[].retries.backoff', ''],
    ...MATCH_FIELDS.map((f): [string, string] => [`http[].match[].${f}`, '']),
  ]),
  DestinationRule: new Map([
    ['exportTo', ''],
    ['workloadSelector', ''],
    ...TRAFFIC_POLICY_FIELDS.map((f): [string, string] => [`trafficPolicy.${f}`, '']),
    ...TRAFFIC_POLICY_FIELDS.map((f): [string, string] => [`subsets[].trafficPolicy.${f}`, '']),
  ]),
  ServiceEntry: new Map([
    ['exportTo', ''],
    ['subjectAltNames', ''],
    ['workloadSelector', ''],
    ['addresses', ''],
    ['endpoints[].network', ''],
    ['endpoints[].locality', ''],
    ['endpoints[].serviceAccount', ''],
  ]),
};

/** Looks a spec-relative field path up in the table; `undefined` when the field is simply unknown. */
export function unsupportedFieldHint(kind: ResourceKind, specPath: readonly (string | number)[]): string | undefined {
  const pattern = specPath.map((p) => (typeof p === 'number' ? '[]' : `.${p}`)).join('').replace(/^\./, '');
  return UNSUPPORTED_FIELDS[kind].get(pattern);
}
