/**
 * Destination checks shared by routes, mirrors and runtime mirror overrides, so all three give the
 * same messages: the host must be a ServiceEntry, the port must be one of its ports (or implied by a
 * single-port service), a mirror must target HTTP or HTTPS, and a subset must be defined.
 */
import type { DiagnosticCode } from '../diagnostics.ts';
import { resolveHost } from '../names.ts';
import { findDestinationRule, type DestinationPolicy, type Service, type ServicePort, type ServiceRegistry, type Subset } from './services.ts';

/** A resolved destination: what a cluster is built from. */
export interface ClusterTarget {
  readonly name: string;
  readonly service: Service;
  readonly port: ServicePort;
  /** '' for no subset. */
  readonly subset: string;
  readonly rule: DestinationPolicy | null;
  readonly subsetSpec: Subset | null;
}

export interface DestinationInput {
  readonly host: string;
  readonly port?: number | undefined;
  readonly subset?: string | undefined;
}

/** Which field of a destination a problem is about. */
export type DestinationField = 'host' | 'port' | 'subset';

export type DestinationProblem = { readonly code: DiagnosticCode; readonly field: DestinationField; readonly message: string };

/** Istio's cluster name `outbound|PORT|SUBSET|HOST`. */
export function clusterName(port: number, subset: string, host: string): string {
  return `outbound|${port}|${subset}|${host}`;
}

/**
 * Resolves a destination in `namespace` (the referring resource's). Returns the target, or the problems
 * that stop it from resolving; several may be returned (a bad port and a bad subset, say).
 */
export function resolveDestination(
  input: DestinationInput,
  namespace: string,
  role: 'route' | 'mirror',
  registry: ServiceRegistry,
): { target: ClusterTarget | null; problems: DestinationProblem[] } {
  const host = resolveHost(input.host, namespace);
  const service = registry.services.get(host);
  if (service === undefined) {
    const shown = host === input.host ? host : `${input.host} (${host})`;
    return { target: null, problems: [{ code: 'UNKNOWN_HOST', field: 'host', message: `host ${shown} does not match any ServiceEntry host` }] };
  }
  const problems: DestinationProblem[] = [];
  const portList = service.ports.map((p) => p.number).join(', ');
  let port: ServicePort | undefined;
  if (input.port === undefined) {
    if (service.ports.length === 1) port = service.ports[0];
    else {
      problems.push({
        code: 'MULTI_PORT_NEEDS_PORT',
        field: 'port',
        message: `port.number is required: dynamic port is not available for multi-port services (${host} has ports ${portList})`,
      });
    }
  } else {
    port = service.ports.find((p) => p.number === input.port);
    if (port === undefined) {
      problems.push({ code: 'UNKNOWN_PORT', field: 'port', message: `port ${input.port} is not a port of ${host} (ports: ${portList})` });
    }
  }
  if (role === 'mirror' && port !== undefined && port.protocol !== 'HTTP' && port.protocol !== 'HTTPS') {
    problems.push({
      code: 'MIRROR_PROTOCOL',
      field: 'port',
      message: `only HTTP and HTTPS services can be mirror destinations (port ${port.number} of ${host} is ${port.protocol})`,
    });
  }
  const rule = findDestinationRule(registry, host);
  let subsetSpec: Subset | null = null;
  if (input.subset !== undefined) {
    subsetSpec = rule?.subsets.get(input.subset) ?? null;
    if (subsetSpec === null) {
      const why =
        rule === null
          ? `no DestinationRule applies to ${host}`
          : `DestinationRule ${rule.resource.metadata.namespace}/${rule.resource.metadata.name} defines ${rule.subsets.size === 0 ? 'no subsets' : [...rule.subsets.keys()].join(', ')}`;
      problems.push({ code: 'UNKNOWN_SUBSET', field: 'subset', message: `subset ${input.subset} of ${host} is not defined (${why})` });
    }
  }
  if (problems.length > 0 || port === undefined) return { target: null, problems };
  const subset = input.subset ?? '';
  return { target: { name: clusterName(port.number, subset, host), service, port, subset, rule, subsetSpec }, problems };
}
