/** VirtualService spec schema: the http routes, including the mirror fields and the route actions. */
import { z } from 'zod';
import { destination, duration, headers, percent, portNumber, stringMap, stringMatch, withCode } from './common.ts';
import { corsPolicy, delegate, directResponse, fault, redirect } from './route-actions.ts';

const matchRequest = z.strictObject({
  name: z.string().optional(),
  uri: stringMatch.optional(),
  method: stringMatch.optional(),
  authority: stringMatch.optional(),
  headers: z.record(z.string(), stringMatch).optional(),
  withoutHeaders: z.record(z.string(), stringMatch).optional(),
  queryParams: z.record(z.string(), stringMatch).optional(),
  ignoreUriCase: z.boolean().optional(),
  // Where the match applies; evaluated at compile time (compile/match-scope.ts).
  port: portNumber.optional(),
  sourceLabels: stringMap.optional(),
  gateways: z.array(z.string().min(1)).optional(),
  sourceNamespace: z.string().optional(),
});

const routeDestination = z.strictObject({
  destination,
  weight: z.int().min(0).optional(),
  headers: headers.optional(),
});

const rewrite = z.strictObject({
  uri: z.string().optional(),
  authority: z.string().optional(),
  uriRegexRewrite: z.strictObject({ match: z.string(), rewrite: z.string() }).optional(),
});

const retries = z.strictObject({
  attempts: z.int().min(0).optional(),
  perTryTimeout: duration.optional(),
  retryOn: z.string().optional(),
});

/** Istio `UInt32Value mirror_percent`; its validation rejects more than 100. */
const mirrorPercentInteger = z.int().refine((v) => v >= 0 && v <= 100, withCode('PERCENTAGE_RANGE', 'must be between 0 and 100'));

const mirrorPolicy = z.strictObject({
  destination,
  percentage: percent.optional(),
});

const httpRoute = z.strictObject({
  name: z.string().min(1).optional(),
  match: z.array(matchRequest).optional(),
  route: z.array(routeDestination).optional(),
  rewrite: rewrite.optional(),
  timeout: duration.optional(),
  retries: retries.optional(),
  headers: headers.optional(),
  mirror: destination.optional(),
  mirrorPercentage: percent.optional(),
  // Deprecated integer percentage, still honoured by Istio; `mirror_percent` is the same field as
  // protobuf's JSON parser (and Istio's CRD) accept it.
  mirrorPercent: mirrorPercentInteger.optional(),
  mirror_percent: mirrorPercentInteger.optional(),
  mirrors: z.array(mirrorPolicy).optional(),
  fault: fault.optional(),
  redirect: redirect.optional(),
  directResponse: directResponse.optional(),
  corsPolicy: corsPolicy.optional(),
  delegate: delegate.optional(),
});

export const virtualServiceSpec = z.strictObject({
  // A VirtualService without hosts is a delegate (Istio): only a root's `http[].delegate` reaches it.
  hosts: z.array(z.string().min(1)).optional(),
  gateways: z.array(z.string().min(1)).optional(),
  exportTo: z.array(z.string().min(1)).optional(),
  http: z.array(httpRoute).optional(),
});

export type VirtualServiceSpec = z.infer<typeof virtualServiceSpec>;
export type HttpRouteSpec = z.infer<typeof httpRoute>;
export type MatchRequestSpec = z.infer<typeof matchRequest>;
