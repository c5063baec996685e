/**
 * The mesh listener (`--mesh-listener HOST:PORT`): mesh-bound VirtualServices and the service registry
 * served as an Istio sidecar's outbound HTTP routes.
 *
 * A sidecar has one outbound route configuration per service port (pilot's
 * `BuildSidecarOutboundVirtualHosts`): for port P, a virtual host per VirtualService host and per
 * service with an HTTP port P, and for every such service no VirtualService claims on P, Istio's
 * default route to `outbound|P||HOST` with the default retry policy. The sidecar picks the route
 * configuration by the connection's destination port; one shadowgate listener stands for all ports, so
 * it merges them as Istio does for its HTTP proxy listener (`mergeAllVirtualHosts`): each domain carries
 * its port (`reviews:9080`), and port 80's also match without one, as a Host without a port means 80.
 * Routes are still generated per port, so `match[].port` compares with the service port. As in pilot,
 * a VirtualService host that is no service of the registry is served on port 80 (when some service has
 * an HTTP port 80), or beside the services the same VirtualService names.
 */
import { isIP } from 'node:net';
import type { Listener, Route, VirtualHost } from '../../snapshot/types.ts';
import { CLUSTER_DOMAIN, hostCovers, isWildcardHost, resolveHost } from '../names.ts';
import type { ValidatedVirtualService } from '../schema/validate.ts';
import type { CompileContext } from './context.ts';
import { resolveDestination } from './destinations.ts';
import { virtualHostTable, type RoutesFor } from './listeners.ts';
import { MESH_GATEWAY, type ProxyIdentity } from './match-scope.ts';
import { DEFAULT_RETRIABLE_STATUS_CODES, DEFAULT_RETRY_ATTEMPTS, DEFAULT_RETRY_ON, type ClusterTargets } from './routes.ts';
import type { Service, ServiceRegistry } from './services.ts';

/** Where the mesh listener binds. */
export interface MeshListenerAddress {
  readonly address: string;
  readonly port: number;
}

/** The port protocols a sidecar serves with HTTP routes (Istio's `IsHTTPOrSniffed`, less sniffing). */
const HTTP_PROTOCOLS: ReadonlySet<string> = new Set(['HTTP', 'HTTP2', 'GRPC', 'GRPC-WEB']);

/** The port a Host header without one stands for. */
const HTTP_DEFAULT_PORT = 80;

/** `mesh_ADDRESS_PORT`: apart from Gateway listeners (`ADDRESS_PORT`), so counters and the dump never mix them. */
export function meshListenerName(at: MeshListenerAddress): string {
  return `mesh_${at.address}_${at.port}`;
}

/** Whether a VirtualService applies to sidecars: no `gateways`, or `mesh` among them. */
export function appliesToMesh(vs: ValidatedVirtualService): boolean {
  const gateways = vs.spec.gateways ?? [];
  return gateways.length === 0 || gateways.includes(MESH_GATEWAY);
}

/** Istio's validation: `*` is not a host a VirtualService bound to the mesh may have. */
export function checkMeshHosts(vs: ValidatedVirtualService, ctx: CompileContext): void {
  (vs.spec.hosts ?? []).forEach((host, i) => {
    if (host === '*') {
      ctx.error('MESH_WILDCARD_HOST', vs, ['spec', 'hosts', i], 'wildcard host * is not allowed for virtual services bound to the mesh gateway (Istio rejects it); name the hosts');
    }
  });
}

/** Istio's sidecar domains for a service host, without ports, for a proxy in `proxyNamespace`. */
export function serviceDomainNames(host: string, proxyNamespace: string): string[] {
  // The absolute form with a trailing dot, as pilot adds it (PILOT_ENABLE_ABSOLUTE_FQDN_VHOST_DOMAIN).
  const names = isIP(host) === 0 ? [host, `${host}.`] : [host];
  const svc = host.indexOf('.svc.');
  const dot = host.indexOf('.');
  if (!host.endsWith(`.${CLUSTER_DOMAIN}`) || dot + 1 > svc) return names;
  const name = host.slice(0, dot);
  const withNamespace = host.slice(0, svc);
  // The short name only resolves in the service's own namespace (`generateAltVirtualHostsForKubernetesService`).
  if (host.slice(dot + 1, svc) === proxyNamespace) names.push(name, `${withNamespace}.svc`, withNamespace);
  else names.push(withNamespace, `${withNamespace}.svc`);
  return names;
}

/** Domains with the port, as merged across ports; port 80's also without one. */
export function withPort(names: readonly string[], port: number): string[] {
  return names.flatMap((d) => (port === HTTP_DEFAULT_PORT ? [d, `${d}:${port}`] : [`${d}:${port}`]));
}

export interface MeshInput {
  readonly at: MeshListenerAddress;
  /** VirtualServices that apply to the mesh, in load order. */
  readonly virtualServices: readonly ValidatedVirtualService[];
  readonly routesOf: RoutesFor;
  readonly registry: ServiceRegistry;
  /** Default routes add their clusters here. */
  readonly targets: ClusterTargets;
  readonly identity: ProxyIdentity;
}

/** Builds the mesh listener; duplicate hosts are warned about, and the first VirtualService keeps them. */
export function buildMeshListener(input: MeshInput, ctx: CompileContext): Listener {
  const { registry, identity } = input;
  const services = [...registry.services.values()];
  // A sidecar has an outbound route configuration for each HTTP port of its registry, and no other.
  const ports = new Set<number>();
  for (const s of services) for (const p of s.ports) if (HTTP_PROTOCOLS.has(p.protocol)) ports.add(p.number);
  const claims = wildcardClaims(input.virtualServices, services);
  const vhosts: VirtualHost[] = [];
  const names = new Set<string>();
  const warned = new Set<string>();

  for (const port of [...ports].sort((a, b) => a - b)) {
    const here = new Map(services.filter((s) => s.ports.some((p) => p.number === port && HTTP_PROTOCOLS.has(p.protocol))).map((s) => [s.host, s] as const));
    const claimed = new Set<string>();
    for (const vs of input.virtualServices) {
      const { hosts, matching } = splitHosts(vs, here, claims);
      // Off port 80, a VirtualService is served only where it names a service (pilot's selectVirtualServices).
      if (matching.length === 0 && (port !== HTTP_DEFAULT_PORT || hosts.length === 0)) continue;
      const routes = input.routesOf(vs, { gateway: MESH_GATEWAY, port, identity });
      if (routes.length === 0) continue;
      const add = (host: string, domains: string[]): boolean => {
        const name = `${host}:${port}`;
        if (names.has(name)) {
          if (!warned.has(`${vs.metadata.namespace}/${vs.metadata.name}|${host}`)) {
            warned.add(`${vs.metadata.namespace}/${vs.metadata.name}|${host}`);
            const index = Math.max(0, (vs.spec.hosts ?? []).findIndex((h) => resolveHost(h, vs.metadata.namespace) === host));
            ctx.warn('DUPLICATE_MESH_HOST', vs, ['spec', 'hosts', index], `host ${host} is already routed by an earlier mesh VirtualService; sidecars do not merge VirtualServices, so this one is not served for it`);
          }
          return false;
        }
        names.add(name);
        vhosts.push({ name, domains, gateways: [MESH_GATEWAY], routes });
        return true;
      };
      for (const host of hosts) add(host, withPort([host], port));
      for (const service of matching) if (add(service.host, withPort(serviceDomainNames(service.host, identity.namespace), port))) claimed.add(service.host);
    }
    for (const service of here.values()) {
      if (claimed.has(service.host) || names.has(`${service.host}:${port}`)) continue;
      const route = defaultRoute(service, port, input, ctx);
      if (route === null) continue;
      names.add(`${service.host}:${port}`);
      vhosts.push({ name: `${service.host}:${port}`, domains: withPort(serviceDomainNames(service.host, identity.namespace), port), gateways: [MESH_GATEWAY], routes: [route] });
    }
  }

  return {
    name: meshListenerName(input.at),
    gateways: [MESH_GATEWAY],
    address: input.at.address,
    port: input.at.port,
    protocol: 'HTTP',
    tls: null,
    virtualHosts: virtualHostTable(vhosts),
    matchPortInHost: true,
    sources: [],
    servers: [],
  };
}

/**
 * A VirtualService's hosts at one port, as pilot's `separateVSHostsAndServices` splits them: services
 * of the registry with that port (a wildcard host takes the services it is the most specific match
 * for), and hosts that are no such service (served on port 80 only, unless the VirtualService also
 * names a service here).
 */
function splitHosts(
  vs: ValidatedVirtualService,
  here: ReadonlyMap<string, Service>,
  claims: ReadonlyMap<string, ValidatedVirtualService>,
): { hosts: string[]; matching: Service[] } {
  const hosts: string[] = [];
  const matching: Service[] = [];
  for (const written of vs.spec.hosts ?? []) {
    if (written === '*') continue;
    const host = resolveHost(written, vs.metadata.namespace);
    if (!isWildcardHost(host)) {
      const service = here.get(host);
      if (service !== undefined) matching.push(service);
      else hosts.push(host);
      continue;
    }
    let covers = false;
    for (const service of here.values()) {
      if (!hostCovers(host, service.host)) continue;
      covers = true;
      if (claims.get(service.host) === vs && !matching.includes(service)) matching.push(service);
    }
    if (!covers) hosts.push(host);
  }
  return { hosts, matching };
}

/**
 * For each service a wildcard host of some VirtualService covers: the VirtualService with the most
 * specific such host (the first loaded on a tie), as pilot's `MostSpecificWildcardVirtualServiceIndex`.
 */
function wildcardClaims(virtualServices: readonly ValidatedVirtualService[], services: readonly Service[]): Map<string, ValidatedVirtualService> {
  const best = new Map<string, { vs: ValidatedVirtualService; length: number }>();
  for (const vs of virtualServices) {
    for (const written of vs.spec.hosts ?? []) {
      const host = resolveHost(written, vs.metadata.namespace);
      if (!isWildcardHost(host) || host === '*') continue;
      for (const service of services) {
        if (!hostCovers(host, service.host)) continue;
        const current = best.get(service.host);
        if (current === undefined || host.length > current.length) best.set(service.host, { vs, length: host.length });
      }
    }
  }
  return new Map([...best].map(([host, { vs }]) => [host, vs] as const));
}

/**
 * Istio's route for a service no VirtualService routes (`BuildDefaultHTTPOutboundRoute`): every path
 * to `outbound|PORT||HOST`, no timeout, the default retry policy. Its id is the cluster's name.
 */
function defaultRoute(service: Service, port: number, input: MeshInput, ctx: CompileContext): Route | null {
  const { target, problems } = resolveDestination({ host: service.host, port }, service.resource.metadata.namespace, 'route', input.registry);
  if (target === null) {
    // Cannot happen for a registry service's own port; say so rather than drop it silently.
    for (const p of problems) ctx.warn(p.code, service.resource, ['spec', 'hosts'], p.message);
    return null;
  }
  if (!input.targets.has(target.name)) input.targets.set(target.name, target);
  return {
    id: target.name,
    name: 'default',
    matches: null,
    clusters: [{ cluster: target.name, weight: 100, headers: null }],
    totalWeight: 100,
    rewrite: null,
    timeoutMs: null,
    retry: {
      numRetries: DEFAULT_RETRY_ATTEMPTS,
      perTryTimeoutMs: null,
      retryOn: new Set(DEFAULT_RETRY_ON),
      retriableStatusCodes: new Set(DEFAULT_RETRIABLE_STATUS_CODES),
    },
    headers: null,
    mirrors: null,
    fault: null,
    redirect: null,
    directResponse: null,
    cors: null,
    source: service.source,
  };
}
