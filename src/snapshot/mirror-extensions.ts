/**
 * What a `MirrorPolicy` resource (`shadowgate.io/v1alpha1`) adds to a compiled mirror, beyond what
 * Istio's VirtualService says: header rules and an authority for the copy only, sticky sampling,
 * response comparison and capture. A mirror without a MirrorPolicy has `extensions: null`, so plain
 * mirroring pays one null check. The config package compiles these; the mirror package acts on them.
 */
import type { HeaderOperations } from './types.ts';

export interface MirrorExtensions {
  /** The MirrorPolicy that set these, `namespace/name` (for the dump and the admin API). */
  readonly source: string;
  /** Applied to the copy only, after the primary's own header passes (Envoy's `request_headers_mutations`). */
  readonly requestHeaders: HeaderOperations | null;
  /** The copy's authority, as Envoy's `host_rewrite_literal`: no `-shadow` suffix. */
  readonly authority: string | null;
  /** Sample by a key's hash instead of the random draw; requests without the key draw at random. */
  readonly sampling: StickySampling | null;
  readonly compare: CompareSettings | null;
  readonly capture: CaptureSettings | null;
}

/** Where a sticky key is read from; a header name is lower-case. */
export type StickyKeySource =
  | { readonly kind: 'header'; readonly name: string }
  | { readonly kind: 'cookie'; readonly name: string }
  | { readonly kind: 'queryParameter'; readonly name: string };

export interface StickySampling {
  readonly key: StickyKeySource;
}

export interface CompareSettings {
  /** Bytes of each response kept for comparison; a longer body is skipped (`body_too_large`). Default 256 KiB. */
  readonly maxBodyBytes: number;
  /** Lower-case response header names left out of the comparison (besides the always-ignored ones). */
  readonly ignoreHeaders: readonly string[];
  /** JSON paths (`$.meta.time`, `$.items[*].id`) left out; validated when compiled. */
  readonly ignorePaths: readonly string[];
  /** Numbers are equal when |a - b| <= max(absolute, relative × max(|a|, |b|)). */
  readonly tolerance: { readonly absolute: number; readonly relative: number };
  /** JSON paths of arrays compared without regard to order. */
  readonly unorderedArrays: readonly string[];
  /** A second copy to another instance of the primary's version (Diffy's noise baseline); its cluster name. */
  readonly baselineCluster: string | null;
}

export interface CaptureSettings {
  /** JSON Lines file; rotated to `.1`, `.2`, ... */
  readonly path: string;
  readonly maxFileBytes: number;
  readonly maxFiles: number;
  /** Bytes of each request body recorded; a longer one is cut and marked. */
  readonly maxBodyBytes: number;
  /** Lower-case header names whose values are written as `REDACTED`. */
  readonly redactHeaders: readonly string[];
  /** Wait for the primary's answer and record its status and latency. */
  readonly includePrimaryResponse: boolean;
}
