/**
 * What a copy carries instead of the primary's request line and headers: its authority (the primary's
 * with `-shadow`, or a MirrorPolicy's `authority`, which as Envoy's `host_rewrite_literal` gets no
 * suffix) and its headers (a fresh object: the primary's are never touched), with the MirrorPolicy's
 * header rules applied last and the trace context marked "not sampled". The shadow writer sends this;
 * capture records the same thing.
 */
import { applyHeaderOperations, type HeaderMap } from '../dataplane/headers.ts';
import type { MirrorPolicy } from '../snapshot/types.ts';
import { shadowAuthority } from './shadow-authority.ts';
import { markTraceUnsampled } from './trace-context.ts';

/** The copy's authority for a primary request to `authority`. */
export function copyAuthority(policy: MirrorPolicy, authority: string): string {
  const literal = policy.extensions?.authority;
  if (literal != null) return literal;
  return policy.hostSuffix ? shadowAuthority(authority) : authority;
}

/** The copy's headers: a new object from the primary's upstream `headers`, never `headers` itself. */
export function copyHeaders(policy: MirrorPolicy, headers: HeaderMap, authority: string): HeaderMap {
  const out = { ...headers };
  out.host = authority;
  const rules = policy.extensions?.requestHeaders;
  // After the Host: the rules cannot name host (the config refuses it), so `authority` stays the copy's.
  if (rules != null) applyHeaderOperations(out, rules);
  markTraceUnsampled(out);
  return out;
}
