/**
 * The snapshot in the shape of Envoy's admin `/config_dump`, so someone who reads `istioctl
 * proxy-config` output can read shadowgate's: listeners, clusters and routes as Envoy v3 resources, with
 * shadowgate's own facts (where a route came from, which mirrors a runtime override set, the last
 * rejected reload) under `shadowgate` keys Envoy's schema leaves room for.
 *
 * A pure function of its arguments: no clock, no I/O, plain JSON-serialisable objects, keys in a fixed
 * order, clusters sorted by name and listeners by name. Secrets stay out: certificates, keys and CA
 * bundles appear as file names only.
 */
import type { Snapshot } from '../snapshot/types.ts';
import { renderCluster } from './config-dump/clusters.ts';
import { TYPE_URLS, type ConfigDump, type RejectedConfigError } from './config-dump/envoy-types.ts';
import { renderListener } from './config-dump/listeners.ts';
import { renderRouteConfiguration } from './config-dump/routes.ts';
import { boundPort, envoyDuration, routeConfigName } from './config-dump/values.ts';

export type {
  BootstrapConfigDump,
  ClustersConfigDump,
  ConfigDump,
  EnvoyCluster,
  EnvoyListener,
  EnvoyRoute,
  EnvoyRouteConfiguration,
  ListenersConfigDump,
  RejectedConfigError,
  RoutesConfigDump,
  ShadowgateBootstrap,
  ShadowgateRouteMetadata,
} from './config-dump/envoy-types.ts';

/** What the dump needs besides the snapshot: facts the controller and the bound listeners know. */
export interface ConfigDumpMeta {
  /** Reported as every resource's `version_info` and the node's `CONFIG_VERSION`. */
  readonly version: string;
  /** ISO time the snapshot was loaded; every resource's `last_updated`. */
  readonly loadedAt: string;
  /** The last reload that was rejected (the gateway kept the previous snapshot), or null. */
  readonly lastRejected?: { readonly at: string; readonly errors: readonly RejectedConfigError[] } | null;
  /** Route ids with a runtime mirror override. */
  readonly overrides?: readonly string[];
  /** Actual bound ports by listener name, for listeners configured with port 0. */
  readonly listenerPorts?: ReadonlyMap<string, number>;
}

/** Renders `snapshot` as Envoy's `/config_dump` body: bootstrap, listeners, clusters, routes. */
export function renderConfigDump(snapshot: Snapshot, meta: ConfigDumpMeta): ConfigDump {
  const version = meta.version;
  const updated = meta.loadedAt;
  const overrides = [...new Set(meta.overrides ?? [])].sort();
  const listeners = [...snapshot.listeners].sort((a, b) => compare(a.name, b.name));
  const bound = listeners.map((listener) => {
    const port = boundPort(listener, meta.listenerPorts);
    return { listener, port, routeConfig: routeConfigName(listener, port) };
  });
  const routeContext = { overrides: new Set(overrides), clusters: snapshot.clusters };
  return {
    configs: [
      {
        '@type': TYPE_URLS.bootstrapDump,
        bootstrap: {
          node: { id: 'shadowgate', metadata: { CONFIG_VERSION: version, LOADED_AT: updated }, user_agent_name: 'shadowgate' },
        },
        last_updated: updated,
        shadowgate: {
          last_rejected: meta.lastRejected == null ? null : { at: meta.lastRejected.at, errors: meta.lastRejected.errors.map(rejectedError) },
          overrides,
          mirror: {
            max_body_bytes: snapshot.mirror.maxBodyBytes,
            default_timeout: envoyDuration(snapshot.mirror.defaultTimeoutMs),
            max_in_flight: snapshot.mirror.maxInFlight,
            max_response_bytes: snapshot.mirror.maxResponseBytes,
          },
          proxy: { retry_buffer_bytes: snapshot.proxy.retryBufferBytes },
        },
      },
      {
        '@type': TYPE_URLS.listenersDump,
        version_info: version,
        dynamic_listeners: bound.map(({ listener, port, routeConfig }) => ({
          name: listener.name,
          active_state: { version_info: version, listener: renderListener(listener, port, routeConfig), last_updated: updated },
        })),
      },
      {
        '@type': TYPE_URLS.clustersDump,
        version_info: version,
        dynamic_active_clusters: [...snapshot.clusters.values()]
          .sort((a, b) => compare(a.name, b.name))
          .map((cluster) => ({ version_info: version, cluster: renderCluster(cluster), last_updated: updated })),
      },
      {
        '@type': TYPE_URLS.routesDump,
        dynamic_route_configs: bound.map(({ listener, routeConfig }) => ({
          version_info: version,
          route_config: renderRouteConfiguration(listener, routeConfig, routeContext),
          last_updated: updated,
        })),
      },
    ],
  };
}

/** Only the documented fields, in a fixed order, whatever else the caller's diagnostic carries. */
function rejectedError(e: RejectedConfigError): RejectedConfigError {
  return {
    file: e.file,
    line: e.line,
    column: e.column,
    kind: e.kind,
    namespace: e.namespace,
    name: e.name,
    field: e.field,
    message: e.message,
    code: e.code,
  };
}

/** Code-unit order, independent of the host's locale. */
function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
