/**
 * Schemas of an http route's actions besides `route[]`: Istio's `HTTPFaultInjection`, `HTTPRedirect`,
 * `HTTPDirectResponse`, `CorsPolicy` and `Delegate`. Value rules that Istio's validation applies
 * (status ranges, one-of fields) are here; what refers to what is checked when compiling.
 */
import { z } from 'zod';
import { duration, percent, portNumber, stringMatch, withCode } from './common.ts';

/** Istio's deprecated integer percentage (`fault.delay.percent`). */
const integerPercent = z.int().refine((v) => v >= 0 && v <= 100, withCode('PERCENTAGE_RANGE', 'must be between 0 and 100'));

/** Istio's `ValidateHTTPStatus`: 200..599. */
const httpStatus = z.int().refine((v) => v >= 200 && v <= 599, withCode('INVALID_FIELD', 'must be an HTTP status between 200 and 599'));

const delay = z.strictObject({
  fixedDelay: duration.optional(),
  percentage: percent.optional(),
  percent: integerPercent.optional(),
});

const abort = z.strictObject({
  httpStatus: httpStatus.optional(),
  percentage: percent.optional(),
});

/** Istio `HTTPFaultInjection`. */
export const fault = z.strictObject({
  delay: delay.optional(),
  abort: abort.optional(),
});

/** Istio `HTTPRedirect`; `port` and `derivePort` are one oneof. */
export const redirect = z.strictObject({
  uri: z.string().optional(),
  authority: z.string().optional(),
  port: portNumber.optional(),
  derivePort: z.enum(['FROM_PROTOCOL_DEFAULT', 'FROM_REQUEST_PORT']).optional(),
  scheme: z.string().optional(),
  redirectCode: z.int().optional(),
  // Newer Istio (istio/api#3708): Envoy's prefix_rewrite, exclusive with uri.
  prefixRewrite: z.string().optional(),
});

/** Istio `HTTPBody`: exactly one of `string` and `bytes` (base64, as protobuf JSON writes bytes). */
const body = z
  .strictObject({
    string: z.string().optional(),
    bytes: z.base64().optional(),
  })
  .refine((b) => (b.string === undefined) !== (b.bytes === undefined), withCode('INVALID_FIELD', 'set exactly one of string or bytes'));

/** Istio `HTTPDirectResponse`. */
export const directResponse = z.strictObject({
  status: httpStatus,
  body: body.optional(),
});

/** Istio `CorsPolicy`. */
export const corsPolicy = z.strictObject({
  allowOrigins: z.array(stringMatch).optional(),
  // Deprecated: exact origins.
  allowOrigin: z.array(z.string()).optional(),
  allowMethods: z.array(z.string()).optional(),
  allowHeaders: z.array(z.string()).optional(),
  exposeHeaders: z.array(z.string()).optional(),
  maxAge: duration.optional(),
  allowCredentials: z.boolean().optional(),
  unmatchedPreflights: z.enum(['UNSPECIFIED', 'FORWARD', 'IGNORE']).optional(),
});

/** Istio `Delegate`: the VirtualService (without hosts) whose routes replace this route. */
export const delegate = z.strictObject({
  name: z.string().min(1),
  namespace: z.string().min(1).optional(),
});

export type FaultSpec = z.infer<typeof fault>;
export type RedirectSpec = z.infer<typeof redirect>;
export type DirectResponseSpec = z.infer<typeof directResponse>;
export type CorsPolicySpec = z.infer<typeof corsPolicy>;
export type DelegateSpec = z.infer<typeof delegate>;
