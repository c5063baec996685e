/**
 * A MirrorPolicy's effect in `/config_dump`: on each `request_mirror_policies[]` entry, Envoy 1.36's
 * own ShadowPolicy fields (`request_headers_mutations`, `host_rewrite_literal`); under the route's
 * `metadata.filter_metadata.shadowgate.mirror_policies[]` (one per entry, `null` for a mirror without
 * a MirrorPolicy) what Envoy has no field for: sticky sampling, comparison and capture.
 */
import type { MirrorExtensions } from '../../snapshot/mirror-extensions.ts';
import type { HeaderOperations, MirrorPolicy } from '../../snapshot/types.ts';
import type { EnvoyShadowHeaderMutation, ShadowgateMirrorPolicyDump } from './envoy-types.ts';

/** The ShadowPolicy fields a MirrorPolicy sets; empty for a mirror without one. */
export function shadowPolicyFields(mirror: MirrorPolicy): {
  request_headers_mutations?: readonly EnvoyShadowHeaderMutation[];
  host_rewrite_literal?: string;
  disable_shadow_host_suffix_append?: true;
} {
  const ext = mirror.extensions;
  if (ext == null) return {};
  const mutations = ext.requestHeaders === null ? [] : headerMutations(ext.requestHeaders);
  return {
    ...(mutations.length > 0 ? { request_headers_mutations: mutations } : {}),
    // A literal authority gets no `-shadow` suffix; said explicitly so the dump means the same in Envoy.
    ...(ext.authority !== null ? { host_rewrite_literal: ext.authority, disable_shadow_host_suffix_append: true as const } : {}),
  };
}

/** In the order the data plane applies them: set, add, remove. */
function headerMutations(ops: HeaderOperations): EnvoyShadowHeaderMutation[] {
  return [
    ...ops.set.map(([key, value]) => ({ append: { header: { key, value }, append_action: 'OVERWRITE_IF_EXISTS_OR_ADD' as const } })),
    ...ops.add.map(([key, value]) => ({ append: { header: { key, value }, append_action: 'APPEND_IF_EXISTS_OR_ADD' as const } })),
    ...ops.remove.map((name) => ({ remove: name })),
  ];
}

/** `filter_metadata.shadowgate.mirror_policies`, or nothing when no mirror of the route has a MirrorPolicy. */
export function mirrorPoliciesMetadata(mirrors: readonly MirrorPolicy[]): { mirror_policies?: readonly (ShadowgateMirrorPolicyDump | null)[] } {
  if (!mirrors.some((m) => m.extensions != null)) return {};
  return { mirror_policies: mirrors.map((m) => (m.extensions == null ? null : renderExtensions(m.extensions))) };
}

function renderExtensions(ext: MirrorExtensions): ShadowgateMirrorPolicyDump {
  const key = ext.sampling?.key;
  return {
    source: ext.source,
    ...(key !== undefined
      ? { sampling: { key: key.kind === 'header' ? { header: key.name } : key.kind === 'cookie' ? { cookie: key.name } : { query_parameter: key.name } } }
      : {}),
    ...(ext.compare !== null
      ? {
          compare: {
            max_body_bytes: ext.compare.maxBodyBytes,
            ignore_headers: ext.compare.ignoreHeaders,
            ignore_paths: ext.compare.ignorePaths,
            numeric_tolerance: { absolute: ext.compare.tolerance.absolute, relative: ext.compare.tolerance.relative },
            unordered_arrays: ext.compare.unorderedArrays,
            ...(ext.compare.baselineCluster !== null ? { baseline_cluster: ext.compare.baselineCluster } : {}),
          },
        }
      : {}),
    ...(ext.capture !== null
      ? {
          capture: {
            path: ext.capture.path,
            max_file_bytes: ext.capture.maxFileBytes,
            max_files: ext.capture.maxFiles,
            max_body_bytes: ext.capture.maxBodyBytes,
            redact_headers: ext.capture.redactHeaders,
            include_primary_response: ext.capture.includePrimaryResponse,
          },
        }
      : {}),
  };
}
