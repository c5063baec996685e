/**
 * `shadowgate.io/v1alpha1` `MirrorPolicy`: what shadowgate adds to the mirrors of a VirtualService's
 * routes beyond Istio's API (header rules and an authority for the copy, sticky sampling, response
 * comparison, capture). Istio manifests never need one; plain mirroring works without it. Unknown
 * fields are errors with a suggestion, as for the Istio kinds (see `schema-fields.ts`).
 */
import { z } from 'zod';
import { destination, headerOperations, withCode } from './common.ts';

/** A header name as RFC 9110 spells a token. */
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
/** A host, optionally with a port: no spaces, slashes, `?`, `#` or `@`. */
const AUTHORITY = /^[^\s/?#@]+$/;

const headerName = z.string().regex(HEADER_NAME, 'must be an HTTP header name');
const positiveInt = z.int().min(1);

/** Where a sticky sampling key is read from: exactly one of `header`, `cookie`, `queryParameter`. */
const stickyKey = z
  .strictObject({
    header: headerName.optional(),
    cookie: z.string().min(1).optional(),
    queryParameter: z.string().min(1).optional(),
  })
  .superRefine((value, ctx) => {
    const set = (['header', 'cookie', 'queryParameter'] as const).filter((f) => value[f] !== undefined);
    if (set.length !== 1) {
      const got = set.length === 0 ? 'none is set' : `got ${set.join(' and ')}`;
      ctx.addIssue({ code: 'custom', ...withCode('INVALID_FIELD', `set exactly one of header, cookie or queryParameter (${got})`) });
    }
  });

const compare = z.strictObject({
  /** Default true: a `compare` section turns comparison on unless it says `enabled: false`. */
  enabled: z.boolean().optional(),
  maxBodyBytes: positiveInt.optional(),
  ignoreHeaders: z.array(headerName).optional(),
  ignorePaths: z.array(z.string().min(1)).optional(),
  numericTolerance: z
    .strictObject({ absolute: z.number().min(0).optional(), relative: z.number().min(0).optional() })
    .optional(),
  unorderedArrays: z.array(z.string().min(1)).optional(),
  baseline: destination.optional(),
});

const capture = z.strictObject({
  path: z.string().min(1),
  maxFileBytes: positiveInt.optional(),
  maxFiles: positiveInt.optional(),
  maxBodyBytes: z.int().min(0).optional(),
  redactHeaders: z.array(headerName).optional(),
  includePrimaryResponse: z.boolean().optional(),
});

/** One entry of `mirrors`: which mirror destination(s) it applies to, and what it adds. */
const mirrorRule = z.strictObject({
  host: z.string().min(1).optional(),
  subset: z.string().min(1).optional(),
  port: z.strictObject({ number: z.int().min(1).max(65535) }).optional(),
  requestHeaders: headerOperations.optional(),
  authority: z.string().regex(AUTHORITY, 'must be a host name, optionally with :port').optional(),
  sampling: z.strictObject({ key: stickyKey }).optional(),
  compare: compare.optional(),
  capture: capture.optional(),
});

export const mirrorPolicySpec = z.strictObject({
  targetRef: z.strictObject({
    kind: z.literal('VirtualService'),
    name: z.string().min(1),
    namespace: z.string().min(1).optional(),
  }),
  routes: z.array(z.string().min(1)).min(1).optional(),
  mirrors: z.array(mirrorRule).min(1).optional(),
});

export type MirrorPolicySpec = z.infer<typeof mirrorPolicySpec>;
export type MirrorRuleSpec = NonNullable<MirrorPolicySpec['mirrors']>[number];
