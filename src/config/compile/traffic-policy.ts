/**
 * DestinationRule traffic policies: each checked once and turned into numbers, kept as Istio's four
 * replaceable sections (loadBalancer, connectionPool, outlierDetection, tls), and merged for one
 * cluster the way Istio's `MergeSubsetTrafficPolicy` does: a port-level entry for the cluster's port
 * replaces all four sections of the policy it sits in (a section it leaves out gets the defaults,
 * not the policy's), then each section a subset sets replaces the rule's.
 */
import type {
  ClientCertificate,
  ConsistentHashPolicy,
  HashKey,
  LoadBalancerPolicy,
  OutlierDetectionPolicy,
} from '../../snapshot/types.ts';
import type { FieldPath } from '../diagnostics.ts';
import { durationMs } from '../duration.ts';
import type { PortTrafficPolicySpec, TrafficPolicySpec } from '../schema/destination-rule.ts';
import type { ValidatedDestinationRule } from '../schema/validate.ts';
import { type CompileContext, type Mutable, positionText } from './context.ts';
import type { SecretStore } from './secrets.ts';

export interface LoadBalancerSection {
  readonly policy?: LoadBalancerPolicy;
  readonly consistentHash: ConsistentHashPolicy | null;
}

/** Only the fields that were set; the cluster fills in defaults. */
export interface ConnectionPoolSection {
  readonly maxConnections?: number;
  readonly connectTimeoutMs?: number;
  readonly maxPendingRequests?: number;
  readonly idleTimeoutMs?: number;
  readonly maxRequestsPerConnection?: number;
  readonly maxRequests?: number;
  readonly maxRetries?: number;
}

export interface TlsSection {
  readonly mode?: 'DISABLE' | 'SIMPLE' | 'MUTUAL';
  readonly sni?: string;
  readonly ca?: { readonly file: string | null; readonly pem: string };
  readonly insecureSkipVerify?: boolean;
  readonly clientCertificate?: ClientCertificate;
  /** `namespace/name` of the Secret behind `credentialName`. */
  readonly credentialName?: string;
}

/** Istio's replaceable sections of a traffic policy; `undefined` when the policy does not set one. */
export interface PolicySections {
  readonly loadBalancer?: LoadBalancerSection;
  readonly connectionPool?: ConnectionPoolSection;
  readonly outlierDetection?: OutlierDetectionPolicy;
  readonly tls?: TlsSection;
}

export interface CompiledTrafficPolicy extends PolicySections {
  /** `portLevelSettings` by port number; the first entry for a port wins, as in Istio. */
  readonly portLevel: ReadonlyMap<number, PolicySections>;
}

/** Envoy's outlier detection defaults, where Istio leaves a field unset. */
const OUTLIER_DEFAULTS = { consecutive5xx: 5, intervalMs: 10_000, baseEjectionMs: 30_000, maxEjectionPercent: 10, maxEjectionMs: 300_000 };
const MAX_MAGLEV_TABLE_SIZE = 5_000_011;

/** The sections that apply to the cluster for `port` of a service, subset `subset` (`null` for none). */
export function effectiveSections(rule: CompiledTrafficPolicy | null, subset: CompiledTrafficPolicy | null, port: number): PolicySections {
  const base = atPort(rule, port).sections;
  if (subset === null) return base;
  const own = atPort(subset, port);
  if (own.portLevel) return own.sections;
  return {
    loadBalancer: own.sections.loadBalancer ?? base.loadBalancer,
    connectionPool: own.sections.connectionPool ?? base.connectionPool,
    outlierDetection: own.sections.outlierDetection ?? base.outlierDetection,
    tls: own.sections.tls ?? base.tls,
  };
}

function atPort(policy: CompiledTrafficPolicy | null, port: number): { sections: PolicySections; portLevel: boolean } {
  if (policy === null) return { sections: {}, portLevel: false };
  const level = policy.portLevel.get(port);
  return level === undefined ? { sections: policy, portLevel: false } : { sections: level, portLevel: true };
}

/** Checks and compiles one `trafficPolicy` (top level or a subset's) found at `at`. */
export function compileTrafficPolicy(
  dr: ValidatedDestinationRule,
  at: FieldPath,
  spec: TrafficPolicySpec | undefined,
  ctx: CompileContext,
  secrets: SecretStore | null,
): CompiledTrafficPolicy | null {
  if (spec === undefined) return null;
  const portLevel = new Map<number, PolicySections>();
  (spec.portLevelSettings ?? []).forEach((p, i) => {
    const where = [...at, 'portLevelSettings', i];
    const sections = compileSections(dr, where, p, ctx, secrets);
    if (portLevel.has(p.port.number)) {
      const first = (spec.portLevelSettings ?? []).findIndex((q) => q.port.number === p.port.number);
      ctx.warn(
        'DUPLICATE_PORT',
        dr,
        [...where, 'port', 'number'],
        `port ${p.port.number} already has port-level settings (${positionText(dr, [...at, 'portLevelSettings', first])}); Istio uses the first, so these are ignored`,
      );
      return;
    }
    portLevel.set(p.port.number, sections);
  });
  return { ...compileSections(dr, at, spec, ctx, secrets), portLevel };
}

function compileSections(
  dr: ValidatedDestinationRule,
  at: FieldPath,
  spec: TrafficPolicySpec | PortTrafficPolicySpec,
  ctx: CompileContext,
  secrets: SecretStore | null,
): PolicySections {
  const out: Mutable<PolicySections> = {};
  if (spec.loadBalancer !== undefined) out.loadBalancer = loadBalancerSection(dr, [...at, 'loadBalancer'], spec.loadBalancer, ctx);
  if (spec.connectionPool !== undefined) out.connectionPool = connectionPoolSection(spec.connectionPool);
  if (spec.outlierDetection !== undefined) out.outlierDetection = outlierSection(dr, [...at, 'outlierDetection'], spec.outlierDetection, ctx);
  if (spec.tls !== undefined) out.tls = tlsSection(dr, [...at, 'tls'], spec.tls, ctx, secrets);
  return out;
}

type LoadBalancerSpec = NonNullable<TrafficPolicySpec['loadBalancer']>;

function loadBalancerSection(dr: ValidatedDestinationRule, at: FieldPath, spec: LoadBalancerSpec, ctx: CompileContext): LoadBalancerSection {
  const simple = spec.simple;
  if (spec.consistentHash !== undefined) {
    if (simple !== undefined) {
      ctx.error('CONSISTENT_HASH', dr, [...at, 'simple'], 'set either simple or consistentHash, not both (Istio\'s lb_policy is a one-of)');
    }
    const hash = consistentHash(dr, [...at, 'consistentHash'], spec.consistentHash, ctx);
    return hash === null ? { consistentHash: null } : { policy: hash.tableSize !== null ? 'MAGLEV' : 'RING_HASH', consistentHash: hash };
  }
  const field = [...at, 'simple'];
  if (simple === 'LEAST_CONN') {
    ctx.warn('DEPRECATED_VALUE', dr, field, 'LEAST_CONN is deprecated; read as LEAST_REQUEST');
    return { policy: 'LEAST_REQUEST', consistentHash: null };
  }
  if (simple === 'PASSTHROUGH') {
    ctx.error('UNSUPPORTED_VALUE', dr, field, 'PASSTHROUGH load balancing is not supported by shadowgate (it needs the original destination address)');
    return { consistentHash: null };
  }
  if (simple === 'ROUND_ROBIN' || simple === 'LEAST_REQUEST' || simple === 'RANDOM') return { policy: simple, consistentHash: null };
  return { consistentHash: null };
}

type ConsistentHashSpec = NonNullable<LoadBalancerSpec['consistentHash']>;

function consistentHash(dr: ValidatedDestinationRule, at: FieldPath, spec: ConsistentHashSpec, ctx: CompileContext): ConsistentHashPolicy | null {
  const keys: HashKey[] = [];
  if (spec.httpHeaderName !== undefined) keys.push({ kind: 'header', name: spec.httpHeaderName.toLowerCase() });
  if (spec.httpCookie !== undefined) {
    const c = spec.httpCookie;
    keys.push({ kind: 'cookie', name: c.name, path: c.path ?? null, ttlMs: c.ttl === undefined ? null : durationMs(c.ttl) });
  }
  if (spec.useSourceIp === true) keys.push({ kind: 'sourceIp' });
  if (spec.httpQueryParameterName !== undefined) keys.push({ kind: 'queryParameter', name: spec.httpQueryParameterName });
  let ok = true;
  if (keys.length !== 1) {
    const got = keys.length === 0 ? 'none is set' : `got ${keys.map((k) => k.kind).join(' and ')}`;
    ctx.error('CONSISTENT_HASH', dr, at, `set exactly one of httpHeaderName, httpCookie, useSourceIp or httpQueryParameterName (${got})`);
    ok = false;
  }
  if (spec.ringHash !== undefined && spec.maglev !== undefined) {
    ctx.error('CONSISTENT_HASH', dr, [...at, 'maglev'], 'set either ringHash or maglev, not both');
    ok = false;
  }
  if (spec.minimumRingSize !== undefined && spec.minimumRingSize !== 0) {
    if (spec.ringHash !== undefined || spec.maglev !== undefined) {
      ctx.error('CONSISTENT_HASH', dr, [...at, 'minimumRingSize'], 'only one of minimumRingSize or maglev/ringHash can be specified');
      ok = false;
    } else {
      ctx.warn('DEPRECATED_VALUE', dr, [...at, 'minimumRingSize'], 'minimumRingSize is deprecated; use ringHash.minimumRingSize');
    }
  }
  let tableSize: number | null = null;
  if (spec.maglev !== undefined) {
    const size = spec.maglev.tableSize ?? 0;
    const field = [...at, 'maglev', 'tableSize'];
    if (size === 0) {
      ctx.error('CONSISTENT_HASH', dr, field, 'tableSize must be set for maglev');
      ok = false;
    } else if (size >= MAX_MAGLEV_TABLE_SIZE || !isPrime(size)) {
      ctx.error('CONSISTENT_HASH', dr, field, `tableSize must be a prime number less than ${MAX_MAGLEV_TABLE_SIZE} (got ${size}; Envoy's default is 65537)`);
      ok = false;
    }
    tableSize = size;
  }
  if (!ok) return null;
  // Istio writes 1024 (Envoy's default) unless ringHash or the deprecated field sets a size.
  const ringSize = spec.ringHash?.minimumRingSize || spec.minimumRingSize || 1024;
  return { key: keys[0]!, minimumRingSize: tableSize === null ? ringSize : null, tableSize };
}

/** Envoy's primality check for Maglev table sizes, which Istio's validation copies. */
export function isPrime(x: number): boolean {
  if (x !== 0 && x < 4) return true;
  if (x % 2 === 0) return false;
  const limit = Math.floor(Math.sqrt(x));
  for (let f = 3; f <= limit; f += 2) if (x % f === 0) return false;
  return true;
}

function connectionPoolSection(spec: NonNullable<TrafficPolicySpec['connectionPool']>): ConnectionPoolSection {
  const out: Mutable<ConnectionPoolSection> = {};
  const { tcp, http } = spec;
  if (tcp?.maxConnections !== undefined) out.maxConnections = tcp.maxConnections;
  if (tcp?.connectTimeout !== undefined) out.connectTimeoutMs = durationMs(tcp.connectTimeout);
  if (http?.http1MaxPendingRequests !== undefined) out.maxPendingRequests = http.http1MaxPendingRequests;
  if (http?.idleTimeout !== undefined) out.idleTimeoutMs = durationMs(http.idleTimeout);
  // Istio passes these on only when positive: 0 means "not set" in its proto.
  if (http?.maxRequestsPerConnection !== undefined && http.maxRequestsPerConnection > 0) out.maxRequestsPerConnection = http.maxRequestsPerConnection;
  if (http?.http2MaxRequests !== undefined && http.http2MaxRequests > 0) out.maxRequests = http.http2MaxRequests;
  if (http?.maxRetries !== undefined && http.maxRetries > 0) out.maxRetries = http.maxRetries;
  return out;
}

function outlierSection(
  dr: ValidatedDestinationRule,
  at: FieldPath,
  spec: NonNullable<TrafficPolicySpec['outlierDetection']>,
  ctx: CompileContext,
): OutlierDetectionPolicy {
  if (spec.consecutiveErrors !== undefined && spec.consecutiveErrors !== 0) {
    // Istio still accepts the field but no longer passes it to Envoy: Envoy's own default (5 consecutive 5xx) applies.
    ctx.warn(
      'DEPRECATED_VALUE',
      dr,
      [...at, 'consecutiveErrors'],
      'consecutiveErrors is deprecated and ignored, as Istio ignores it; use consecutive5xxErrors or consecutiveGatewayErrors',
    );
  }
  const baseEjectionMs = spec.baseEjectionTime === undefined ? OUTLIER_DEFAULTS.baseEjectionMs : durationMs(spec.baseEjectionTime);
  return {
    consecutive5xx: spec.consecutive5xxErrors ?? OUTLIER_DEFAULTS.consecutive5xx,
    consecutiveGatewayFailure: spec.consecutiveGatewayErrors ?? 0,
    intervalMs: spec.interval === undefined ? OUTLIER_DEFAULTS.intervalMs : durationMs(spec.interval),
    baseEjectionMs,
    maxEjectionMs: Math.max(OUTLIER_DEFAULTS.maxEjectionMs, baseEjectionMs),
    // Istio passes maxEjectionPercent on only when positive, so 0 leaves Envoy's 10%.
    maxEjectionPercent: spec.maxEjectionPercent || OUTLIER_DEFAULTS.maxEjectionPercent,
    minHealthPercent: spec.minHealthPercent ?? 0,
  };
}

function tlsSection(
  dr: ValidatedDestinationRule,
  at: FieldPath,
  spec: NonNullable<TrafficPolicySpec['tls']>,
  ctx: CompileContext,
  secrets: SecretStore | null,
): TlsSection {
  const out: Mutable<TlsSection> = {};
  if (spec.mode === 'ISTIO_MUTUAL') {
    ctx.error(
      'UNSUPPORTED_VALUE',
      dr,
      [...at, 'mode'],
      'tls mode ISTIO_MUTUAL is not supported by shadowgate (there is no mesh CA to issue its certificate); use MUTUAL with a client certificate, SIMPLE or DISABLE',
    );
  } else if (spec.mode !== undefined) {
    out.mode = spec.mode;
  }
  if (spec.sni !== undefined) out.sni = spec.sni;
  if (spec.insecureSkipVerify !== undefined) out.insecureSkipVerify = spec.insecureSkipVerify;
  const usesFiles = spec.clientCertificate !== undefined || spec.privateKey !== undefined || spec.caCertificates !== undefined;
  if (spec.credentialName !== undefined && (spec.mode === 'SIMPLE' || spec.mode === 'MUTUAL')) {
    if (usesFiles) {
      ctx.error('TLS_CLIENT_CERTIFICATE', dr, [...at, 'credentialName'], 'cannot specify client certificates or CA certificate if credentialName is set');
      return out;
    }
    const credential = secrets?.credential(dr, [...at, 'credentialName'], dr.metadata.namespace, spec.credentialName, spec.mode === 'MUTUAL') ?? null;
    if (credential === null) return out;
    out.credentialName = credential.name;
    if (credential.ca !== null) out.ca = { file: null, pem: credential.ca };
    if (spec.mode === 'MUTUAL') out.clientCertificate = { cert: credential.cert!, key: credential.key!, certFile: null, keyFile: null };
    return out;
  }
  if (spec.caCertificates !== undefined) {
    const file = ctx.readReferencedFile(dr, [...at, 'caCertificates'], spec.caCertificates);
    if (file !== null) out.ca = { file: file.path, pem: file.text };
  }
  if (spec.mode === 'MUTUAL') {
    // Pointed at `mode`: the missing field has no line of its own.
    if (spec.clientCertificate === undefined) ctx.error('TLS_CLIENT_CERTIFICATE', dr, [...at, 'mode'], 'client certificate required for mutual tls (set clientCertificate, or credentialName)');
    if (spec.privateKey === undefined) ctx.error('TLS_CLIENT_CERTIFICATE', dr, [...at, 'mode'], 'private key required for mutual tls (set privateKey, or credentialName)');
    if (spec.clientCertificate !== undefined && spec.privateKey !== undefined) {
      const cert = ctx.readReferencedFile(dr, [...at, 'clientCertificate'], spec.clientCertificate);
      const key = ctx.readReferencedFile(dr, [...at, 'privateKey'], spec.privateKey);
      if (cert !== null && key !== null) out.clientCertificate = { cert: cert.text, key: key.text, certFile: cert.path, keyFile: key.path };
    }
  }
  return out;
}
