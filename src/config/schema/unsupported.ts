/**
 * Istio fields shadowgate does not implement, derived from the field tables in `fields.ts` (the one
 * source of truth): `refused` fields are errors, `ignored` fields warnings. Paths are relative to
 * `spec`, dotted, with `{}` for a map's values (`trafficPolicy.outlierDetection`, `http.fault`).
 */
import type { ResourceKind } from '../source.ts';
import { fieldStatusRows, type FieldStatus } from './fields.ts';

export interface UnsupportedField {
  readonly status: Exclude<FieldStatus, 'supported'>;
  readonly hint: string;
}

function unsupportedByKind(): Record<ResourceKind, Map<string, UnsupportedField>> {
  const out: Record<ResourceKind, Map<string, UnsupportedField>> = {
    Gateway: new Map(),
    VirtualService: new Map(),
    DestinationRule: new Map(),
    ServiceEntry: new Map(),
    Secret: new Map(),
    MirrorPolicy: new Map(),
  };
  for (const row of fieldStatusRows()) {
    if (row.status !== 'supported' && !row.inherited) out[row.kind].set(row.path, { status: row.status, hint: row.hint });
  }
  return out;
}

/** Not-implemented field path → its status and hint, per kind (fields under them are not listed). */
export const UNSUPPORTED_FIELDS: Readonly<Record<ResourceKind, ReadonlyMap<string, UnsupportedField>>> = unsupportedByKind();
