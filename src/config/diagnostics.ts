/**
 * Config diagnostics: every problem found while loading, shape-checking or compiling configuration is a
 * value with a stable code, a position in the YAML and the field path it is about. Nothing here throws
 * for a config problem; callers decide whether errors block a reload.
 */

/** Every diagnostic code shadowgate emits, with a one-line description (the docs list these). */
export const DIAGNOSTIC_CODES = {
  READ_FAILED: 'A config path could not be read (missing file or directory, no permission).',
  FILE_TOO_LARGE: 'A config file is larger than --max-config-file-bytes (default 32 MiB); it is not read.',
  YAML_SYNTAX: 'A YAML or JSON document does not parse.',
  YAML_WARNING: 'The YAML parser warned about a document (for example an unresolved tag).',
  INVALID_RESOURCE: 'A document is not a resource: apiVersion, kind, metadata.name or spec is missing or malformed.',
  UNSUPPORTED_KIND: 'A resource kind or apiVersion shadowgate does not read (for example a Kubernetes Service); skipped.',
  DUPLICATE_RESOURCE: 'Two resources share kind, namespace and name.',
  NO_RESOURCES: 'The config paths hold no Gateway, VirtualService, DestinationRule or ServiceEntry (directories are read recursively).',
  UNKNOWN_FIELD: "A field that Istio's API does not have (a typo?); the message suggests the closest known field.",
  UNSUPPORTED_FIELD:
    'An Istio field shadowgate does not implement: an error when ignoring it would change which requests are served, routed or mirrored, else a warning (the field is ignored).',
  INVALID_FIELD: 'A field has the wrong type or an out-of-range value.',
  STRING_MATCH_ONE_OF: 'A StringMatch must set exactly one of exact, prefix or regex.',
  INVALID_DURATION: 'A duration is not of the form 5s, 100ms, 1.5s, 1m or 1h.',
  INVALID_REGEX: 'A regular expression is not valid RE2 syntax (RE2 has no backreferences, lookahead, lookbehind or possessive quantifiers).',
  REGEX_TOO_LARGE: 'A regular expression is longer than 1024 bytes or compiles to an RE2 program of more than 1000 instructions.',
  PERCENTAGE_RANGE: 'A percentage is outside 0..100.',
  UNSUPPORTED_PROTOCOL: 'A Gateway server protocol other than HTTP or HTTPS.',
  UNSUPPORTED_VALUE: 'A known Istio enum value that shadowgate does not implement (PASSTHROUGH load balancing, resolution NONE, ISTIO_MUTUAL, Gateway tls modes PASSTHROUGH and AUTO_PASSTHROUGH).',
  DEPRECATED_VALUE: 'A deprecated Istio value that is accepted under its current name.',
  TLS_REQUIRED: 'An HTTPS Gateway server needs tls.mode SIMPLE, MUTUAL or OPTIONAL_MUTUAL with serverCertificate and privateKey (and caCertificates for client certificates), or credentialName.',
  TLS_IGNORED: 'A tls setting other than httpsRedirect on a plain HTTP Gateway server; ignored.',
  TLS_PARAMS_CONFLICT: 'HTTPS Gateway servers sharing an address and port set different minProtocolVersion, maxProtocolVersion or cipherSuites (shadowgate applies those per port).',
  FILE_READ: 'A certificate or key file named in the config could not be read.',
  UNKNOWN_SECRET: 'A credentialName names no Secret in the config files (looked up in the referring resource\'s namespace).',
  INVALID_SECRET: 'A Secret named by credentialName is not usable: wrong type, a missing key, bad base64 or not PEM (contents are never shown).',
  TLS_CLIENT_CERTIFICATE: 'tls.mode MUTUAL needs clientCertificate and privateKey, or credentialName (not both).',
  CONSISTENT_HASH: 'A consistentHash load balancer sets no hash key or several, or an invalid ring or Maglev size.',
  LISTENER_PROTOCOL_CONFLICT: 'Two Gateway servers on one address and port declare different protocols.',
  NO_LISTENERS: 'No Gateway is defined (and no --mesh-listener), so nothing would listen.',
  NOT_EXPORTED: "A resource's exportTo does not include the gateway's namespace (--proxy-namespace); skipped, as Istio would.",
  UNKNOWN_GATEWAY: 'A VirtualService names a Gateway that does not exist.',
  MESH_GATEWAY_IGNORED: 'A VirtualService bound to the mesh, and no --mesh-listener to serve it: its mesh routes are not served.',
  MESH_WILDCARD_HOST: 'A VirtualService bound to the mesh has host *, which Istio rejects.',
  DUPLICATE_MESH_HOST: 'Two mesh-bound VirtualServices claim one host and port; sidecars do not merge them, the first one loaded wins.',
  MESH_LISTENER_CONFLICT: '--mesh-listener names the address and port of a Gateway listener.',
  VIRTUAL_SERVICE_NOT_BOUND: 'None of a VirtualService hosts matches a host of the Gateways it names.',
  DUPLICATE_ROUTE_NAME: 'Two http routes of one VirtualService share a name, so route ids would collide.',
  NO_ROUTE_DESTINATION: 'An http route has no route[] destinations.',
  WEIGHT_SUM: 'The weights of a route with several destinations do not sum to 100.',
  REWRITE_CONFLICT: 'rewrite.uri and rewrite.uriRegexRewrite are both set.',
  ROUTE_ACTION_CONFLICT: 'An http route combines actions Istio does not allow together (route, redirect, directResponse, delegate; fault or rewrite with redirect or directResponse).',
  REDIRECT_CONFLICT: 'redirect.port and redirect.derivePort, or redirect.uri and redirect.prefixRewrite, are both set.',
  LARGE_DIRECT_RESPONSE: 'A directResponse body is over 100 KB (Istio warns; over 1 MB is an error).',
  NO_OP_FIELD: 'A field that has no effect here (a mirror on a route the gateway answers itself, a retry condition shadowgate does not evaluate, a mirror override on such a route).',
  INVALID_RETRY_ON: 'A retries.retryOn entry is neither an HTTP status code nor a retry policy Istio accepts.',
  UNKNOWN_DELEGATE: 'An http route delegates to a VirtualService that does not exist or has hosts.',
  INVALID_DELEGATE: 'A delegate VirtualService (one without hosts) names gateways or delegates again (Istio supports one level).',
  DELEGATE_MATCH_CONFLICT: "A delegate's route matches outside its root route's match, so Istio drops it; it is not served.",
  UNKNOWN_HOST: 'A destination host does not resolve to any ServiceEntry.',
  MULTI_PORT_NEEDS_PORT: 'A destination omits the port but its service has several ports.',
  UNKNOWN_PORT: 'A destination port is not a port of its service.',
  UNKNOWN_SUBSET: 'A destination subset is not defined by any DestinationRule for that host.',
  MIRROR_PROTOCOL: 'A mirror destination port is not HTTP or HTTPS.',
  MIRROR_CONFLICT: 'mirror and mirrors, or mirrorPercentage and mirrors, are both set.',
  MIRROR_PERCENTAGE_UNUSED: 'mirrorPercentage is set without mirror; ignored.',
  INVALID_ANNOTATION: 'A shadowgate.io annotation has a value shadowgate does not understand.',
  DUPLICATE_SERVICE_HOST: 'Two ServiceEntries declare the same host; the first one loaded wins.',
  DUPLICATE_PORT: 'A ServiceEntry declares the same port number or name twice.',
  STATIC_ENDPOINTS: 'A STATIC ServiceEntry needs endpoints whose addresses are IP addresses.',
  DUPLICATE_DESTINATION_RULE: 'Two DestinationRules target the same host; the first one loaded wins.',
  DUPLICATE_SUBSET: 'A DestinationRule defines the same subset name twice.',
  EMPTY_SUBSET: 'A subset selects no endpoints of its service, so its cluster has none.',
  UNKNOWN_ROUTE: 'A mirror override names a route id that is not in the config (ignored), or a MirrorPolicy names an http route its VirtualService does not have.',
  UNKNOWN_TARGET: 'A MirrorPolicy targetRef names no VirtualService in the config files, or a delegate one (target the root VirtualService).',
  MIRROR_POLICY_NO_MATCH: "A MirrorPolicy mirrors[] entry names a mirror host the targeted routes do not mirror (an error: header rules meant to strip credentials must not silently apply to nothing); a policy whose routes mirror nothing is a warning.",
  MIRROR_POLICY_CONFLICT: 'Two MirrorPolicies (or two mirrors[] entries of one) apply to the same mirror of the same route.',
  INVALID_JSON_PATH: 'A MirrorPolicy compare.ignorePaths or compare.unorderedArrays entry is not a JSON path ($.a.b, $.items[*].id).',
  CAPTURE_PATH_CONFLICT: 'Two MirrorPolicy capture sections write to the same file with different rotation settings.',
  INVALID_OPTION: 'A compile option (mirror or proxy settings) is not a non-negative number.',
  APPLY_FAILED: 'A valid config could not be applied (e.g. a new listener port is taken); the old one keeps serving.',
} as const;

export type DiagnosticCode = keyof typeof DIAGNOSTIC_CODES;

export type Severity = 'error' | 'warning';

/** One problem in the config, pointing at the file, line and field it is about. */
export interface ConfigDiagnostic {
  readonly severity: Severity;
  readonly file: string;
  /** 1-based; 0 when the problem has no position (for example an unreadable path). */
  readonly line: number;
  readonly column: number;
  /** Resource kind, namespace and name; empty strings when the problem is not inside a resource. */
  readonly kind: string;
  readonly namespace: string;
  readonly name: string;
  /** Field path such as `spec.http[0].mirrorPercentage.value`; empty for whole-document problems. */
  readonly field: string;
  readonly message: string;
  readonly code: DiagnosticCode;
}

/**
 * One line per diagnostic, compiler style:
 * `gateway.yaml:14:9 error VirtualService default/httpbin spec.http[0].mirror.port: message [CODE]`.
 */
/**
 * A diagnostic that belongs to no resource: a file that does not parse, a config with nothing in it,
 * a command-line option (`file` `<options>`, `field` the option). Position 0:0 when there is none.
 */
export function unattachedDiagnostic(
  severity: Severity,
  code: DiagnosticCode,
  file: string,
  at: { readonly line: number; readonly column: number } | null,
  message: string,
  field = '',
): ConfigDiagnostic {
  return { severity, file, line: at?.line ?? 0, column: at?.column ?? 0, kind: '', namespace: '', name: '', field, message, code };
}

export function formatDiagnostic(d: ConfigDiagnostic): string {
  const position = d.line > 0 ? `${d.file}:${d.line}:${d.column}` : d.file;
  const resource = d.kind !== '' ? ` ${d.kind} ${d.namespace}/${d.name}` : '';
  const field = d.field !== '' ? ` ${d.field}:` : ':';
  return `${position} ${d.severity}${resource}${field} ${d.message} [${d.code}]`;
}

/** Whether any diagnostic is an error (a snapshot is only built when none is). */
export function hasErrors(diagnostics: readonly ConfigDiagnostic[]): boolean {
  return diagnostics.some((d) => d.severity === 'error');
}

/** A path into a resource document: object keys and array indexes, e.g. `['spec', 'http', 0, 'route']`. */
export type FieldPath = readonly (string | number)[];

const IDENTIFIER = /^[A-Za-z_$][\w$-]*$/;

/** Renders a field path as `spec.http[0].mirror.port`; keys that are not identifiers are quoted. */
export function formatFieldPath(path: FieldPath): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else if (IDENTIFIER.test(part)) out += out === '' ? part : `.${part}`;
    else out += `[${JSON.stringify(part)}]`;
  }
  return out;
}

/**
 * Orders diagnostics by file (in `fileOrder`, the order files were loaded; others after, by name),
 * then line and column. The sort is stable, so problems on one line keep the order they were found in.
 */
export function sortDiagnostics(diagnostics: readonly ConfigDiagnostic[], fileOrder: readonly string[]): ConfigDiagnostic[] {
  const rank = new Map(fileOrder.map((f, i) => [f, i] as const));
  const fileRank = (f: string) => rank.get(f) ?? fileOrder.length;
  return [...diagnostics].sort(
    (a, b) =>
      fileRank(a.file) - fileRank(b.file) ||
      (a.file < b.file ? -1 : a.file > b.file ? 1 : 0) ||
      a.line - b.line ||
      a.column - b.column,
  );
}
