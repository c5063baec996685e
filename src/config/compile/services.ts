/**
 * The service registry: ServiceEntries by host, and the DestinationRule that applies to each host,
 * with every traffic policy already checked and turned into numbers.
 */
import { isIP } from 'node:net';
import type { SourceRef } from '../../snapshot/types.ts';
import { hostCovers, resolveHost } from '../names.ts';
import type { ValidatedDestinationRule, ValidatedServiceEntry } from '../schema/validate.ts';
import { type CompileContext, positionText, sourceRef } from './context.ts';
import type { SecretStore } from './secrets.ts';
import { compileTrafficPolicy, type CompiledTrafficPolicy } from './traffic-policy.ts';

export interface ServicePort {
  readonly number: number;
  readonly name: string | null;
  /** Upper-case Istio protocol (`HTTP`, `HTTPS`, `TCP`, ...). */
  readonly protocol: string;
  readonly targetPort: number | null;
}

export interface ServiceEndpoint {
  readonly address: string;
  /** Port name → endpoint port. */
  readonly ports: Readonly<Record<string, number>>;
  readonly labels: Readonly<Record<string, string>>;
  readonly weight: number;
}

/** One host of a ServiceEntry. */
export interface Service {
  /** Fully qualified, lower-case. */
  readonly host: string;
  /** The host as written in the ServiceEntry (a DNS entry without endpoints resolves this name). */
  readonly writtenHost: string;
  readonly ports: readonly ServicePort[];
  readonly resolution: 'STATIC' | 'DNS';
  /** `null` for a DNS entry without endpoints: the host itself is the address. */
  readonly endpoints: readonly ServiceEndpoint[] | null;
  readonly resource: ValidatedServiceEntry;
  readonly source: SourceRef;
}

export interface Subset {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  /** The subset's own policy; `effectiveSections` merges it with the rule's for a port. */
  readonly policy: CompiledTrafficPolicy | null;
  readonly index: number;
}

export interface DestinationPolicy {
  /** Resolved host; may be a `*.suffix` wildcard. */
  readonly host: string;
  readonly policy: CompiledTrafficPolicy | null;
  readonly subsets: ReadonlyMap<string, Subset>;
  readonly resource: ValidatedDestinationRule;
}

/** What route, mirror and override destinations are checked against. */
export interface ServiceRegistry {
  readonly services: ReadonlyMap<string, Service>;
  readonly destinationRules: readonly DestinationPolicy[];
}

/** Builds the registry, reporting problems in ServiceEntries and DestinationRules. */
export function buildServiceRegistry(
  serviceEntries: readonly ValidatedServiceEntry[],
  destinationRules: readonly ValidatedDestinationRule[],
  ctx: CompileContext,
  secrets: SecretStore | null = null,
): ServiceRegistry {
  const services = new Map<string, Service>();
  for (const se of serviceEntries) {
    for (const service of compileServiceEntry(se, ctx)) {
      const first = services.get(service.host);
      if (first !== undefined) {
        const index = se.spec.hosts.findIndex((h) => resolveHost(h, se.metadata.namespace) === service.host);
        ctx.warn(
          'DUPLICATE_SERVICE_HOST',
          se,
          ['spec', 'hosts', index],
          `host ${service.host} is already defined by ServiceEntry ${first.resource.metadata.namespace}/${first.resource.metadata.name} (${positionText(first.resource, ['spec', 'hosts'])}); this one is ignored`,
        );
        continue;
      }
      services.set(service.host, service);
    }
  }

  const rules: DestinationPolicy[] = [];
  for (const dr of destinationRules) {
    const rule = compileDestinationRule(dr, ctx, secrets);
    const first = rules.find((r) => r.host === rule.host);
    if (first !== undefined) {
      ctx.warn(
        'DUPLICATE_DESTINATION_RULE',
        dr,
        ['spec', 'host'],
        `host ${rule.host} already has DestinationRule ${first.resource.metadata.namespace}/${first.resource.metadata.name} (${positionText(first.resource, ['spec', 'host'])}); this one is ignored`,
      );
      continue;
    }
    rules.push(rule);
  }
  return { services, destinationRules: rules };
}

/** The DestinationRule for a host: an exact host first, then the most specific `*.suffix`. */
export function findDestinationRule(registry: ServiceRegistry, host: string): DestinationPolicy | null {
  let best: DestinationPolicy | null = null;
  for (const rule of registry.destinationRules) {
    if (rule.host === host) return rule;
    if (rule.host.startsWith('*') && hostCovers(rule.host, host) && (best === null || rule.host.length > best.host.length)) {
      best = rule;
    }
  }
  return best;
}

function compileServiceEntry(se: ValidatedServiceEntry, ctx: CompileContext): Service[] {
  const spec = se.spec;
  let ok = true;
  const resolution = spec.resolution ?? 'NONE';
  if (resolution === 'NONE') {
    ctx.error(
      'UNSUPPORTED_VALUE',
      se,
      ['spec', 'resolution'],
      `resolution NONE${spec.resolution === undefined ? ' (the default)' : ''} is not supported by shadowgate; use STATIC with endpoints, or DNS`,
    );
    ok = false;
  } else if (resolution === 'DYNAMIC_DNS') {
    ctx.error('UNSUPPORTED_VALUE', se, ['spec', 'resolution'], 'resolution DYNAMIC_DNS (wildcard hosts resolved per request) is not supported by shadowgate; use DNS with each host');
    ok = false;
  }
  const mode: 'STATIC' | 'DNS' = resolution === 'STATIC' ? 'STATIC' : 'DNS';

  const ports: ServicePort[] = [];
  spec.ports.forEach((p, i) => {
    if (ports.some((q) => q.number === p.number)) {
      ctx.error('DUPLICATE_PORT', se, ['spec', 'ports', i, 'number'], `port ${p.number} is declared twice`);
      ok = false;
      return;
    }
    if (p.name !== undefined && ports.some((q) => q.name === p.name)) {
      ctx.error('DUPLICATE_PORT', se, ['spec', 'ports', i, 'name'], `port name ${p.name} is declared twice`);
      ok = false;
      return;
    }
    ports.push({ number: p.number, name: p.name ?? null, protocol: portProtocol(p.protocol, p.name), targetPort: p.targetPort ?? null });
  });

  const endpoints: ServiceEndpoint[] = [];
  (spec.endpoints ?? []).forEach((e, i) => {
    if (e.address.startsWith('unix://')) {
      ctx.error('UNSUPPORTED_VALUE', se, ['spec', 'endpoints', i, 'address'], 'unix domain socket endpoints are not supported by shadowgate');
      ok = false;
      return;
    }
    if (mode === 'STATIC' && isIP(e.address) === 0) {
      ctx.error(
        'STATIC_ENDPOINTS',
        se,
        ['spec', 'endpoints', i, 'address'],
        `resolution STATIC needs an IP address, got ${JSON.stringify(e.address)} (use resolution DNS for host names)`,
      );
      ok = false;
      return;
    }
    // Istio treats an unset (0) endpoint weight as 1.
    endpoints.push({ address: e.address, ports: e.ports ?? {}, labels: e.labels ?? {}, weight: e.weight || 1 });
  });
  if (mode === 'STATIC' && (spec.endpoints ?? []).length === 0) {
    ctx.error('STATIC_ENDPOINTS', se, ['spec', 'endpoints'], 'resolution STATIC needs at least one endpoint');
    ok = false;
  }
  if (!ok) return [];

  return spec.hosts.map((written, i) => ({
    host: resolveHost(written, se.metadata.namespace),
    writtenHost: written.toLowerCase(),
    ports,
    resolution: mode,
    endpoints: mode === 'DNS' && endpoints.length === 0 ? null : endpoints,
    resource: se,
    source: sourceRef(se, ['spec', 'hosts', i]),
  }));
}

/**
 * Istio's protocol for a port: the declared one, else the `<protocol>[-suffix]` naming convention,
 * else HTTP (Istio would sniff the protocol; shadowgate only speaks HTTP to upstreams anyway).
 */
function portProtocol(protocol: string | undefined, name: string | undefined): string {
  if (protocol !== undefined) return protocol.toUpperCase();
  const prefix = (name ?? '').split('-')[0]?.toUpperCase() ?? '';
  const known = ['HTTP', 'HTTPS', 'HTTP2', 'GRPC', 'GRPC-WEB', 'TCP', 'TLS', 'MONGO', 'MYSQL', 'REDIS', 'UDP'];
  return known.includes(prefix) ? prefix : 'HTTP';
}

function compileDestinationRule(dr: ValidatedDestinationRule, ctx: CompileContext, secrets: SecretStore | null): DestinationPolicy {
  const top = compileTrafficPolicy(dr, ['spec', 'trafficPolicy'], dr.spec.trafficPolicy, ctx, secrets);
  const subsets = new Map<string, Subset>();
  (dr.spec.subsets ?? []).forEach((s, i) => {
    const own = compileTrafficPolicy(dr, ['spec', 'subsets', i, 'trafficPolicy'], s.trafficPolicy, ctx, secrets);
    if (subsets.has(s.name)) {
      ctx.error('DUPLICATE_SUBSET', dr, ['spec', 'subsets', i, 'name'], `subset ${s.name} is defined twice`);
      return;
    }
    subsets.set(s.name, { name: s.name, labels: s.labels ?? {}, policy: own, index: i });
  });
  return { host: resolveHost(dr.spec.host, dr.metadata.namespace), policy: top, subsets, resource: dr };
}
