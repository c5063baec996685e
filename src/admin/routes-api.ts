/**
 * The runtime "Traffic Mirror" policy API, as a console offers it: list routes with their effective
 * mirror policies, list the services a policy may point at, and set or remove a route's override.
 * Plain functions over the snapshot and the service registry; the server only does HTTP.
 */
import { z } from 'zod';
import { findDestinationRule, type MirrorOverride, type ServiceRegistry } from '../config/index.ts';
import type { Route, Snapshot, StringMatch } from '../snapshot/types.ts';

export interface RouteView {
  readonly id: string;
  readonly name: string;
  readonly listeners: string[];
  readonly hosts: string[];
  readonly match: unknown;
  readonly destinations: { cluster: string; host: string; port: number; subset: string; weight: number }[];
  readonly mirrors: {
    cluster: string;
    host: string;
    port: number;
    subset: string;
    percentage: number;
    perMillion: number;
    hostSuffix: boolean;
    origin: 'config' | 'override';
  }[];
  readonly override: MirrorOverride | null;
  readonly source: string;
}

function stringMatch(m: StringMatch | null): Record<string, string> | null {
  return m === null ? null : { [m.kind]: m.value };
}

function matchView(route: Route): unknown {
  if (route.matches === null) return null;
  return route.matches.map((m) => ({
    uri: stringMatch(m.uri),
    ignoreUriCase: m.ignoreUriCase || undefined,
    method: stringMatch(m.method),
    authority: stringMatch(m.authority),
    headers: m.headers && Object.fromEntries(m.headers.map((h) => [h.name, stringMatch(h.match)])),
    withoutHeaders: m.withoutHeaders && Object.fromEntries(m.withoutHeaders.map((h) => [h.name, stringMatch(h.match)])),
    queryParams: m.queryParams && Object.fromEntries(m.queryParams.map((q) => [q.name, stringMatch(q.match)])),
  }));
}

/** Every route once, with the listeners and hosts it serves, sorted by id. */
export function listRoutes(snapshot: Snapshot, overrides: ReadonlyMap<string, MirrorOverride>): RouteView[] {
  const byId = new Map<string, { route: Route; listeners: Set<string>; hosts: Set<string> }>();
  for (const listener of snapshot.listeners) {
    for (const virtualHost of listener.virtualHosts.all) {
      for (const route of virtualHost.routes) {
        let entry = byId.get(route.id);
        if (entry === undefined) {
          entry = { route, listeners: new Set(), hosts: new Set() };
          byId.set(route.id, entry);
        }
        entry.listeners.add(listener.name);
        for (const domain of virtualHost.domains) entry.hosts.add(domain);
      }
    }
  }
  const cluster = (name: string) => {
    const c = snapshot.clusters.get(name);
    return { cluster: name, host: c?.serviceHost ?? '', port: c?.servicePort ?? 0, subset: c?.subset ?? '' };
  };
  return [...byId.values()]
    .sort((a, b) => a.route.id.localeCompare(b.route.id))
    .map(({ route, listeners, hosts }) => ({
      id: route.id,
      name: route.name,
      listeners: [...listeners].sort(),
      hosts: [...hosts].sort(),
      match: matchView(route),
      // What the route does with a request: forward it, or answer it at the gateway.
      action: route.redirect !== null ? 'redirect' : route.directResponse !== null ? 'directResponse' : 'route',
      destinations: route.clusters.map((d) => ({ ...cluster(d.cluster), weight: d.weight })),
      mirrors: (route.mirrors ?? []).map((m) => ({
        ...cluster(m.cluster),
        percentage: m.perMillion / 10_000,
        perMillion: m.perMillion,
        hostSuffix: m.hostSuffix,
        origin: m.origin,
      })),
      override: overrides.get(route.id) ?? null,
      source: `${route.source.file}:${route.source.line}`,
    }));
}

export interface ServiceView {
  readonly host: string;
  readonly resolution: 'STATIC' | 'DNS';
  readonly ports: { number: number; name: string | null; protocol: string; mirrorable: boolean }[];
  /** A mirror may leave the port out only for a single-port service ("dynamic port"). */
  readonly dynamicPort: boolean;
  readonly subsets: string[];
  readonly source: string;
}

const MIRRORABLE = new Set(['HTTP', 'HTTPS']);

export function listServices(services: ServiceRegistry): ServiceView[] {
  return [...services.services.values()]
    .sort((a, b) => a.host.localeCompare(b.host))
    .map((service) => {
      const rule = findDestinationRule(services, service.host);
      return {
        host: service.host,
        resolution: service.resolution,
        ports: service.ports.map((p) => ({ number: p.number, name: p.name, protocol: p.protocol, mirrorable: MIRRORABLE.has(p.protocol) })),
        dynamicPort: service.ports.length === 1,
        subsets: rule === null ? [] : [...rule.subsets.keys()],
        source: `${service.source.file}:${service.source.line}`,
      };
    });
}

/** The body of `PUT /api/routes/{id}/mirror`; shape only, the config's rules come after. */
export const mirrorOverrideBody = z.strictObject({
  destination: z.strictObject({
    host: z.string().min(1),
    port: z.number().int().min(1).max(65535).optional(),
    subset: z.string().min(1).optional(),
  }),
  percentage: z.number().min(0).max(100).default(100),
  enabled: z.boolean().default(true),
});
