/**
 * Gateway servers → listeners, and VirtualService binding → each listener's virtual host table.
 *
 * A VirtualService binds to a listener when one of its `gateways` names a Gateway with a server on that
 * listener and one of its hosts intersects one of that server's hosts; the narrower host of the two is
 * the virtual host's domain.
 */
import { isIP } from 'node:net';
import type { Listener, ListenerProtocol, ListenerServer, Route, SourceRef, TlsServerContext, VirtualHost, VirtualHostTable } from '../../snapshot/types.ts';
import { domainTable } from '../../snapshot/domain-table.ts';
import { intersectHosts, isShortHost, resolveGatewayName, resolveHost, splitServerHost } from '../names.ts';
import type { ValidatedGateway, ValidatedVirtualService } from '../schema/validate.ts';
import { type CompileContext, positionText, sourceRef } from './context.ts';
import { MESH_GATEWAY, type ProxyIdentity, type RouteContext } from './match-scope.ts';
import { compileServerTls, type ServerSecrets, sharedPortConflict } from './server-tls.ts';


interface ServerBinding {
  readonly gateway: ValidatedGateway;
  readonly index: number;
  readonly hosts: readonly { readonly namespace: string | null; readonly host: string }[];
  readonly listener: ListenerBuilder;
  /** `tls.httpsRedirect`: the virtual hosts this server binds get Envoy's `require_tls: ALL`. */
  readonly httpsRedirect: boolean;
}

/** A VirtualService bound to a virtual host through one Gateway (Istio builds its routes per gateway). */
interface Binding {
  readonly virtualService: ValidatedVirtualService;
  /** `namespace/name` of the Gateway whose server bound it. */
  readonly gateway: string;
}

interface VirtualHostBuilder {
  readonly name: string;
  readonly domains: string[];
  readonly bindings: Binding[];
  requireTls: boolean;
}

interface ListenerBuilder {
  readonly name: string;
  readonly address: string;
  readonly port: number;
  readonly protocol: ListenerProtocol;
  readonly tls: TlsServerContext[];
  readonly sources: SourceRef[];
  readonly servers: ListenerServer[];
  /** `namespace/name` of the Gateways with a server here, in config order. */
  readonly gateways: string[];
  readonly firstServer: { readonly gateway: ValidatedGateway; readonly index: number };
  /** Domain → virtual host; several domains may share one (a short host and its FQDN). */
  readonly byDomain: Map<string, VirtualHostBuilder>;
  readonly virtualHosts: VirtualHostBuilder[];
  /** Hosts of the servers here with `httpsRedirect`: each gets a virtual host even without routes. */
  readonly redirectHosts: string[];
}

/** Listeners under construction plus the Gateway servers VirtualServices bind through. */
export interface ListenerPlan {
  readonly listeners: readonly ListenerBuilder[];
  /** `namespace/name` of each Gateway → its usable servers. */
  readonly gateways: ReadonlyMap<string, readonly ServerBinding[]>;
  /** Gateways with a server dropped for an error (binding warnings about them would only be noise). */
  readonly incomplete: ReadonlySet<string>;
}

/** Builds one listener per (bind address, port) from every Gateway server. */
export function planListeners(gateways: readonly ValidatedGateway[], ctx: CompileContext, secrets: ServerSecrets): ListenerPlan {
  const listeners = new Map<string, ListenerBuilder>();
  const bindings = new Map<string, ServerBinding[]>();
  const incomplete = new Set<string>();
  for (const gw of gateways) {
    const key = `${gw.metadata.namespace}/${gw.metadata.name}`;
    const servers: ServerBinding[] = [];
    bindings.set(key, servers);
    // A Gateway salvaged after schema errors may have lost servers a VirtualService was meant for.
    if (gw.salvaged === true) incomplete.add(key);
    gw.spec.servers.forEach((server, i) => {
      const binding = planServer(gw, i, listeners, ctx, secrets);
      if (binding === null) incomplete.add(key);
      else servers.push(binding);
    });
  }
  return { listeners: [...listeners.values()], gateways: bindings, incomplete };
}

/** Adds one server to its listener; `null` when the server has an error (already reported). */
function planServer(gw: ValidatedGateway, i: number, listeners: Map<string, ListenerBuilder>, ctx: CompileContext, secrets: ServerSecrets): ServerBinding | null {
  const server = gw.spec.servers[i]!;
  const at = ['spec', 'servers', i];
  const protocol = server.port.protocol.toUpperCase();
  if (protocol !== 'HTTP' && protocol !== 'HTTPS') {
    ctx.error('UNSUPPORTED_PROTOCOL', gw, [...at, 'port', 'protocol'], `unsupported protocol ${server.port.protocol}: shadowgate serves HTTP and HTTPS`);
    return null;
  }
  const address = server.bind ?? '0.0.0.0';
  if (isIP(address) === 0) {
    ctx.error('UNSUPPORTED_VALUE', gw, [...at, 'bind'], `bind must be an IP address (got ${JSON.stringify(address)}); unix sockets are not supported`);
    return null;
  }
  const hosts = server.hosts.map((h) => splitServerHost(h, gw.metadata.namespace));
  let tls: TlsServerContext | null = null;
  if (protocol === 'HTTPS') {
    tls = compileServerTls(gw, i, hosts.map((h) => h.host), ctx, secrets);
    if (tls === null) return null;
  } else if (server.tls !== undefined) {
    const ignored = Object.keys(server.tls).filter((k) => k !== 'httpsRedirect');
    if (ignored.length > 0) ctx.warn('TLS_IGNORED', gw, [...at, 'tls'], `tls settings other than httpsRedirect apply to HTTPS servers only; ${ignored.join(', ')} ignored on this HTTP server`);
  }
  const name = `${address}_${server.port.number}`;
  let listener = listeners.get(name);
  if (listener === undefined) {
    listener = {
      name,
      address,
      port: server.port.number,
      protocol,
      tls: [],
      sources: [],
      servers: [],
      gateways: [],
      firstServer: { gateway: gw, index: i },
      byDomain: new Map(),
      virtualHosts: [],
      redirectHosts: [],
    };
    listeners.set(name, listener);
  } else if (listener.protocol !== protocol) {
    const other = listener.firstServer;
    ctx.error(
      'LISTENER_PROTOCOL_CONFLICT',
      gw,
      [...at, 'port', 'protocol'],
      `${address}:${server.port.number} is already ${listener.protocol} (Gateway ${other.gateway.metadata.namespace}/${other.gateway.metadata.name} at ${positionText(other.gateway, ['spec', 'servers', other.index, 'port', 'protocol'])}); one address and port serve one protocol`,
    );
    return null;
  }
  const first = listener.tls[0];
  const conflict = tls !== null && first !== undefined ? sharedPortConflict(first, tls) : null;
  if (conflict !== null) {
    const other = listener.firstServer;
    ctx.error(
      'TLS_PARAMS_CONFLICT',
      gw,
      [...at, 'tls', conflict],
      `${address}:${server.port.number} is shared with Gateway ${other.gateway.metadata.namespace}/${other.gateway.metadata.name} (${positionText(other.gateway, ['spec', 'servers', other.index, 'tls'])}), whose ${conflict} differs; shadowgate negotiates the protocol version and cipher per port, before SNI picks a server, so servers sharing a port must agree on them`,
    );
    return null;
  }
  if (tls !== null) listener.tls.push(tls);
  const httpsRedirect = server.tls?.httpsRedirect === true;
  if (httpsRedirect) for (const h of hosts) if (!listener.redirectHosts.includes(h.host)) listener.redirectHosts.push(h.host);
  listener.sources.push(sourceRef(gw, at));
  const key = `${gw.metadata.namespace}/${gw.metadata.name}`;
  listener.servers.push({ gateway: key, server: server.name ?? server.port.name ?? `servers[${i}]` });
  if (!listener.gateways.includes(key)) listener.gateways.push(key);
  return { gateway: gw, index: i, hosts, listener, httpsRedirect };
}

/**
 * Binds a VirtualService to the listeners its Gateways and hosts select. Returns false when it names no
 * real Gateway at all (mesh-only). `meshServed` says whether a mesh listener serves mesh-bound
 * VirtualServices (`--mesh-listener`); without one, binding to the mesh is warned about.
 */
export function bindVirtualService(vs: ValidatedVirtualService, plan: ListenerPlan, ctx: CompileContext, meshServed = false): boolean {
  const refs = vs.spec.gateways ?? [];
  if (refs.length === 0) {
    if (meshServed) return false;
    ctx.warn(
      'MESH_GATEWAY_IGNORED',
      vs,
      ['spec', 'gateways'],
      'no gateways listed, so this VirtualService applies to the mesh only; its routes are not served (start shadowgate with --mesh-listener HOST:PORT to serve mesh routes)',
    );
    return false;
  }
  let namesGateway = false;
  // Set when a named Gateway is missing or lost a server to an error: "not bound" would only be noise.
  let gatewayProblem = false;
  let bound = false;
  refs.forEach((ref, i) => {
    if (ref === MESH_GATEWAY) {
      if (!meshServed) {
        ctx.warn('MESH_GATEWAY_IGNORED', vs, ['spec', 'gateways', i], 'the mesh gateway is not served without --mesh-listener HOST:PORT; only the Gateway-bound routes are');
      }
      return;
    }
    namesGateway = true;
    const key = resolveGatewayName(ref, vs.metadata.namespace);
    const servers = plan.gateways.get(key);
    if (plan.incomplete.has(key)) gatewayProblem = true;
    if (servers === undefined) {
      if (!ctx.gaps.coversGateway(ref, vs.metadata.namespace)) ctx.error('UNKNOWN_GATEWAY', vs, ['spec', 'gateways', i], `Gateway ${key} does not exist`);
      gatewayProblem = true;
      return;
    }
    for (const server of servers) {
      for (const serverHost of server.hosts) {
        if (serverHost.namespace !== null && serverHost.namespace !== vs.metadata.namespace) continue;
        for (const vsHost of vs.spec.hosts ?? []) {
          if (bindHost(vs, key, vsHost, serverHost.host, server.listener, server.httpsRedirect)) bound = true;
        }
      }
    }
  });
  if (namesGateway && !bound && !gatewayProblem) {
    ctx.warn('VIRTUAL_SERVICE_NOT_BOUND', vs, ['spec', 'hosts'], 'no host of this VirtualService matches a host of the Gateway servers it names, so its routes are not served');
  }
  return namesGateway;
}

function bindHost(vs: ValidatedVirtualService, gateway: string, vsHost: string, serverHost: string, listener: ListenerBuilder, httpsRedirect: boolean): boolean {
  const written = vsHost.toLowerCase();
  // A short host stands for itself and for its FQDN in the VirtualService's namespace.
  const forms = isShortHost(written) ? [written, resolveHost(written, vs.metadata.namespace)] : [written];
  const domains: string[] = [];
  for (const form of forms) {
    const domain = intersectHosts(form, serverHost);
    if (domain !== null && !domains.includes(domain)) domains.push(domain);
  }
  if (domains.length === 0) return false;
  let vhost = domains.map((d) => listener.byDomain.get(d)).find((v) => v !== undefined);
  if (vhost === undefined) {
    vhost = { name: `${domains[0]}:${listener.port}`, domains: [], bindings: [], requireTls: false };
    listener.virtualHosts.push(vhost);
  }
  // As Istio: a virtual host bound through an httpsRedirect server requires TLS, whatever other servers say.
  if (httpsRedirect) vhost.requireTls = true;
  for (const d of domains) {
    if (listener.byDomain.has(d)) continue;
    listener.byDomain.set(d, vhost);
    vhost.domains.push(d);
  }
  if (!vhost.bindings.some((b) => b.virtualService === vs && b.gateway === gateway)) vhost.bindings.push({ virtualService: vs, gateway });
  return true;
}

/** A VirtualService's routes as generated for one gateway, listener port and proxy. */
export type RoutesFor = (vs: ValidatedVirtualService, context: RouteContext) => readonly Route[];

/**
 * Finishes the listeners: each virtual host gets its VirtualServices' routes, in load order, each
 * generated for the gateway that bound it (a VirtualService bound through two Gateways sharing the
 * listener gets both sets, as Istio appends them; `routesOf` returns the same array for a
 * VirtualService whose matches do not depend on the gateway, and that one is added once).
 */
export function finishListeners(
  plan: ListenerPlan,
  routesOf: RoutesFor,
  loadOrder: readonly ValidatedVirtualService[],
  identity: ProxyIdentity,
): Listener[] {
  const rank = new Map(loadOrder.map((vs, i) => [vs, i] as const));
  return plan.listeners.map((b) => {
    addRedirectHosts(b);
    const all: VirtualHost[] = b.virtualHosts.map((v) => {
      const bindings = [...v.bindings].sort((x, y) => rank.get(x.virtualService)! - rank.get(y.virtualService)!);
      const routes: Route[] = [];
      const added = new Set<readonly Route[]>();
      for (const binding of bindings) {
        const set = routesOf(binding.virtualService, { gateway: binding.gateway, port: b.port, identity });
        if (added.has(set)) continue;
        added.add(set);
        routes.push(...set);
      }
      const gateways = [...new Set(v.bindings.map((x) => x.gateway))];
      return { name: v.name, domains: v.domains, gateways, ...(v.requireTls ? { requireTls: true } : {}), routes };
    });
    return {
      name: b.name,
      gateways: b.gateways,
      address: b.address,
      port: b.port,
      protocol: b.protocol,
      tls: b.protocol === 'HTTPS' ? b.tls : null,
      virtualHosts: virtualHostTable(all),
      sources: b.sources,
      servers: b.servers,
    };
  });
}

/**
 * Istio gives every host of an `httpsRedirect` server a virtual host that requires TLS, even when no
 * VirtualService binds it, so the redirect answers before any route is needed; an existing virtual
 * host for exactly that domain is marked instead.
 */
function addRedirectHosts(listener: ListenerBuilder): void {
  for (const host of listener.redirectHosts) {
    const existing = listener.byDomain.get(host);
    if (existing !== undefined) {
      existing.requireTls = true;
      continue;
    }
    const vhost: VirtualHostBuilder = { name: `${host}:${listener.port}`, domains: [host], bindings: [], requireTls: true };
    listener.byDomain.set(host, vhost);
    listener.virtualHosts.push(vhost);
  }
}

/** The listener's virtual hosts in Envoy's domain order (exact, longest `*.suffix`, `*`). */
export function virtualHostTable(all: readonly VirtualHost[]): VirtualHostTable {
  return { all, ...domainTable(all.map((vh) => [vh.domains, vh] as const)) };
}
