/**
 * Schema pieces shared by several kinds: StringMatch, Destination, header operations, durations,
 * percentages and port numbers. Every object is strict so that unknown fields surface as warnings.
 */
import { z } from 'zod';
import { parseDurationMs } from '../duration.ts';

/** Attaches one of our diagnostic codes to a custom zod issue (read back in `validate.ts`). */
export function withCode(code: string, message: string) {
  return { message, params: { code } };
}

export const portNumber = z.int().min(0).max(65535);

export const duration = z
  .string()
  .refine((s) => parseDurationMs(s) !== null, withCode('INVALID_DURATION', 'must be a duration such as 5s, 100ms, 1.5s or 1m'));

export const percentageValue = z
  .number()
  .refine((v) => Number.isFinite(v) && v >= 0 && v <= 100, withCode('PERCENTAGE_RANGE', 'must be between 0 and 100'));

/** Istio `Percent`. */
export const percent = z.strictObject({ value: percentageValue });

const stringMatchFields = ['exact', 'prefix', 'regex'] as const;

/** Istio `StringMatch`: exactly one of `exact`, `prefix`, `regex`. */
export const stringMatch = z
  .strictObject({
    exact: z.string().optional(),
    prefix: z.string().optional(),
    regex: z.string().optional(),
  })
  .superRefine((value, ctx) => {
    const set = stringMatchFields.filter((f) => value[f] !== undefined);
    if (set.length !== 1) {
      const got = set.length === 0 ? 'none is set' : `got ${set.join(' and ')}`;
      ctx.addIssue({ code: 'custom', ...withCode('STRING_MATCH_ONE_OF', `set exactly one of exact, prefix or regex (${got})`) });
    }
  });

/** Istio `Destination`. */
export const destination = z.strictObject({
  host: z.string().min(1),
  subset: z.string().min(1).optional(),
  port: z.strictObject({ number: portNumber }).optional(),
});

/** Istio `HeaderOperations`: set, add, remove. */
export const headerOperations = z.strictObject({
  set: z.record(z.string(), z.string()).optional(),
  add: z.record(z.string(), z.string()).optional(),
  remove: z.array(z.string()).optional(),
});

/** Istio `Headers`: request and response header operations. */
export const headers = z.strictObject({
  request: headerOperations.optional(),
  response: headerOperations.optional(),
});

export const stringMap = z.record(z.string(), z.string());

export type StringMatchSpec = z.infer<typeof stringMatch>;
export type DestinationSpec = z.infer<typeof destination>;
export type HeadersSpec = z.infer<typeof headers>;
