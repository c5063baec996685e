/**
 * Scalar conversions from the snapshot's values to Envoy's proto JSON spellings, and the names the
 * listener and route parts of the dump must agree on.
 */
import type { Listener, SourceRef, StringMatch } from '../../snapshot/types.ts';
import type { EnvoyStringMatcher } from './envoy-types.ts';

/**
 * A `google.protobuf.Duration` in proto JSON: seconds with 0, 3, 6 or 9 fractional digits
 * (`10s`, `0.300s`, `0.000500s`), as Envoy's dump prints them.
 */
export function envoyDuration(ms: number): string {
  let seconds = Math.floor(ms / 1000);
  let nanos = Math.round((ms - seconds * 1000) * 1_000_000);
  if (nanos >= 1_000_000_000) {
    seconds += 1;
    nanos -= 1_000_000_000;
  }
  if (nanos === 0) return `${seconds}s`;
  const digits = nanos % 1_000_000 === 0 ? 3 : nanos % 1000 === 0 ? 6 : 9;
  const fraction = String(nanos).padStart(9, '0').slice(0, digits);
  return `${seconds}.${fraction}s`;
}

/** `file:line`, how the dump points back at the YAML. */
export function sourceText(source: SourceRef): string {
  return `${source.file}:${source.line}`;
}

/**
 * The inverse of the compile step's `toJsReplacement`: JavaScript's `$1` back to RE2's `\1`, `$$` back
 * to `$`, and a literal backslash escaped again, so `regex_rewrite.substitution` reads as written.
 */
export function re2Substitution(js: string): string {
  let out = '';
  for (let i = 0; i < js.length; i++) {
    const c = js[i]!;
    const next = js[i + 1];
    if (c === '$' && next === '$') {
      out += '$';
      i++;
    } else if (c === '$' && next !== undefined && /\d/.test(next)) {
      out += `\\${next}`;
      i++;
    } else if (c === '\\') {
      out += '\\\\';
    } else {
      out += c;
    }
  }
  return out;
}

/** The port a listener is actually bound to: the OS's choice for port 0 when the caller knows it. */
export function boundPort(listener: Listener, listenerPorts: ReadonlyMap<string, number> | undefined): number {
  return listenerPorts?.get(listener.name) ?? listener.port;
}

/**
 * Istio's gateway route configuration name: `http.PORT`, or `http.PORT.BIND` for a server bound to a
 * specific address, which also keeps two listeners on one port apart. The mesh listener's, which
 * merges every service port's, is named after the listener (`mesh_127.0.0.1_15001`).
 */
export function routeConfigName(listener: Listener, port: number): string {
  if (listener.matchPortInHost === true) return listener.name;
  return listener.address === '0.0.0.0' ? `http.${port}` : `http.${port}.${listener.address}`;
}

/** Envoy's StringMatcher for a compiled match: the user's pattern as written (RE2 `safe_regex`). */
export function stringMatcher(m: StringMatch): EnvoyStringMatcher {
  switch (m.kind) {
    case 'exact':
      return { exact: m.value };
    case 'prefix':
      return { prefix: m.value };
    case 'regex':
      return { safe_regex: { regex: m.value } };
  }
}
