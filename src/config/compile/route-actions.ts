/**
 * An http route's actions besides forwarding, compiled once: `fault` (Envoy's fault filter),
 * `redirect` and `directResponse` (the route answers itself), and `corsPolicy` (Envoy's CORS filter).
 * Value rules follow Istio's validation (`validateHTTPRoute` and friends) and the shapes follow what
 * Istio's route translation hands Envoy.
 */
import type {
  CorsPolicy,
  DirectResponseAction,
  FaultPolicy,
  RedirectAction,
  RedirectCode,
  StringMatch,
} from '../../snapshot/types.ts';
import { percentToPerMillion } from '../../snapshot/fraction.ts';
import type { FieldPath } from '../diagnostics.ts';
import { parseDurationMs } from '../duration.ts';
import type { ValidatedVirtualService } from '../schema/validate.ts';
import type { HttpRouteSpec } from '../schema/virtual-service.ts';
import type { CompileContext } from './context.ts';
import { compileStringMatch, type RegexCompiler } from './matchers.ts';

/** The actions of one http route; `null` fields are absent. */
export interface RouteActions {
  readonly fault: FaultPolicy | null;
  readonly redirect: RedirectAction | null;
  readonly directResponse: DirectResponseAction | null;
  readonly cors: CorsPolicy | null;
}

/** Marks a prefix redirect in `RedirectAction.path` (Envoy `prefix_rewrite`). */
const PREFIX_REDIRECT = '%PREFIX()%';

/** Istio's `redirectCode` → Envoy's `RedirectResponseCode` (0 or absent is 301). */
const REDIRECT_CODES: ReadonlySet<number> = new Set<RedirectCode>([301, 302, 303, 307, 308]);

/** Istio's `validateCORSHTTPMethod`. */
const CORS_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'CONNECT', 'OPTIONS', 'TRACE', 'PATCH']);

/** RFC 9110 token: what Istio's `validateCORSHTTPHeaderName` accepts. */
const HEADER_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/** Istio warns above 100 KB and rejects above 1 MB (a large body weighs on every config push). */
const DIRECT_RESPONSE_WARN_BYTES = 100 * 1024;
const DIRECT_RESPONSE_MAX_BYTES = 1024 * 1024;

/** Compiles the route's fault, redirect, direct response and CORS policy, reporting Istio's conflicts. */
export function compileRouteActions(vs: ValidatedVirtualService, spec: HttpRouteSpec, at: FieldPath, ctx: CompileContext): RouteActions {
  reportConflicts(vs, spec, at, ctx);
  return {
    fault: spec.fault === undefined ? null : compileFault(vs, spec.fault, [...at, 'fault'], ctx),
    redirect: spec.redirect === undefined ? null : compileRedirect(vs, spec, spec.redirect, [...at, 'redirect'], ctx),
    directResponse: spec.directResponse === undefined ? null : compileDirectResponse(vs, spec.directResponse, [...at, 'directResponse'], ctx),
    cors: spec.corsPolicy === undefined ? null : compileCors(vs, spec.corsPolicy, [...at, 'corsPolicy'], ctx),
  };
}

/** Istio's `validateHTTPRouteConflict`: a route answers in one way only. */
function reportConflicts(vs: ValidatedVirtualService, spec: HttpRouteSpec, at: FieldPath, ctx: CompileContext): void {
  const conflict = (field: string, message: string) => ctx.error('ROUTE_ACTION_CONFLICT', vs, [...at, field], message);
  if (spec.redirect !== undefined) {
    if (spec.route !== undefined && spec.route.length > 0) conflict('redirect', 'an http route cannot have both route and redirect');
    if (spec.fault !== undefined) conflict('fault', 'an http route cannot have both fault and redirect');
    if (spec.rewrite !== undefined) conflict('rewrite', 'an http route cannot have both rewrite and redirect');
  }
  if (spec.directResponse !== undefined) {
    if (spec.route !== undefined && spec.route.length > 0) conflict('directResponse', 'an http route cannot have both route and directResponse');
    if (spec.fault !== undefined) conflict('fault', 'an http route cannot have both fault and directResponse');
    if (spec.rewrite !== undefined) conflict('rewrite', 'an http route cannot have both rewrite and directResponse');
    if (spec.redirect !== undefined) conflict('redirect', 'an http route cannot have both directResponse and redirect');
  }
  if ((spec.redirect !== undefined || spec.directResponse !== undefined) && (spec.mirror !== undefined || spec.mirrors !== undefined)) {
    const field = spec.mirror !== undefined ? 'mirror' : 'mirrors';
    ctx.warn('NO_OP_FIELD', vs, [...at, field], `${field} has no effect on a route the gateway answers itself (redirect or directResponse): nothing is forwarded, so nothing is mirrored`);
  }
}

function compileFault(vs: ValidatedVirtualService, spec: NonNullable<HttpRouteSpec['fault']>, at: FieldPath, ctx: CompileContext): FaultPolicy | null {
  if (spec.delay === undefined && spec.abort === undefined) {
    ctx.error('INVALID_FIELD', vs, at, 'fault needs a delay, an abort or both');
    return null;
  }
  let delay: FaultPolicy['delay'] = null;
  if (spec.delay !== undefined) {
    const d = spec.delay;
    const field = [...at, 'delay'];
    // Reported on the delay itself, so that a refused `exponentialDelay` removed from it (field
    // tables) does not also bring "fixedDelay is required" (salvage suppresses echoes).
    if (d.fixedDelay === undefined) {
      ctx.error('INVALID_FIELD', vs, field, 'a delay needs fixedDelay');
    } else {
      const ms = parseDurationMs(d.fixedDelay) ?? 0;
      if (ms < 1) ctx.error('INVALID_DURATION', vs, [...field, 'fixedDelay'], `must be at least 1ms (got ${d.fixedDelay})`);
      else if (!Number.isInteger(ms)) ctx.error('INVALID_DURATION', vs, [...field, 'fixedDelay'], `only millisecond precision is supported (got ${d.fixedDelay})`);
      else delay = delayPolicy(ms, d.percentage?.value, d.percent);
    }
  }
  let abort: FaultPolicy['abort'] = null;
  if (spec.abort !== undefined) {
    const a = spec.abort;
    const field = [...at, 'abort'];
    // On the abort itself, for the same reason (a refused grpcStatus or http2Error).
    if (a.httpStatus === undefined) {
      ctx.error('INVALID_FIELD', vs, field, 'an abort needs httpStatus');
    } else {
      // Istio sends an abort without a percentage as Envoy's zero FractionalPercent: it never fires.
      abort =
        a.percentage === undefined
          ? { httpStatus: a.httpStatus, perMillion: 0, percentageUnset: true }
          : { httpStatus: a.httpStatus, perMillion: percentToPerMillion(a.percentage.value) };
    }
  }
  return delay === null && abort === null ? null : { delay, abort };
}

/**
 * Istio's delay share: `percentage` (per million) wins; else the deprecated integer `percent` (as
 * HUNDRED); with neither, 0, as Istio translates it.
 */
function delayPolicy(delayMs: number, percentage: number | undefined, percent: number | undefined): NonNullable<FaultPolicy['delay']> {
  if (percentage !== undefined) return { delayMs, perMillion: percentToPerMillion(percentage) };
  return { delayMs, perMillion: percentToPerMillion(percent ?? 0), denominator: 'HUNDRED' };
}

function compileRedirect(
  vs: ValidatedVirtualService,
  route: HttpRouteSpec,
  spec: NonNullable<HttpRouteSpec['redirect']>,
  at: FieldPath,
  ctx: CompileContext,
): RedirectAction | null {
  if (spec.port !== undefined && spec.derivePort !== undefined) {
    ctx.error('REDIRECT_CONFLICT', vs, [...at, 'derivePort'], 'set either port or derivePort, not both');
    return null;
  }
  if (spec.prefixRewrite !== undefined && spec.uri !== undefined) {
    ctx.error('REDIRECT_CONFLICT', vs, [...at, 'prefixRewrite'], 'set either uri or prefixRewrite, not both');
    return null;
  }
  if (spec.prefixRewrite !== undefined && (route.match ?? []).some((m) => m.uri !== undefined && m.uri.prefix === undefined)) {
    ctx.error('INVALID_FIELD', vs, [...at, 'prefixRewrite'], 'prefixRewrite replaces the matched prefix, so every uri match of the route must be a prefix match');
    return null;
  }
  const code = spec.redirectCode === undefined || spec.redirectCode === 0 ? 301 : spec.redirectCode;
  if (code < 300 || code > 399) {
    ctx.error('INVALID_FIELD', vs, [...at, 'redirectCode'], `${code} is not a redirect code (must be 3xx)`);
    return null;
  }
  if (!REDIRECT_CODES.has(code)) {
    ctx.error('UNSUPPORTED_VALUE', vs, [...at, 'redirectCode'], `redirect code ${code} is not supported (Istio and Envoy send 301, 302, 303, 307 or 308)`);
    return null;
  }
  const port = spec.port !== undefined ? spec.port : spec.derivePort === 'FROM_REQUEST_PORT' ? 'request' : null;
  return {
    scheme: spec.scheme === undefined || spec.scheme === '' ? null : spec.scheme,
    host: spec.authority === undefined || spec.authority === '' ? null : spec.authority,
    port: port === 0 ? null : port,
    // Istio's prefix forms: `prefixRewrite`, and `uri: "%PREFIX()%..."` (what its Gateway API
    // conversion writes); both become Envoy's prefix_rewrite.
    path: spec.prefixRewrite !== undefined ? `${PREFIX_REDIRECT}${spec.prefixRewrite}` : spec.uri === undefined || spec.uri === '' ? null : spec.uri,
    responseCode: code as RedirectCode,
  };
}

function compileDirectResponse(
  vs: ValidatedVirtualService,
  spec: NonNullable<HttpRouteSpec['directResponse']>,
  at: FieldPath,
  ctx: CompileContext,
): DirectResponseAction | null {
  let body: Buffer | null = null;
  let bodyKind: DirectResponseAction['bodyKind'] = null;
  if (spec.body?.string !== undefined) {
    body = Buffer.from(spec.body.string, 'utf8');
    bodyKind = 'string';
  } else if (spec.body?.bytes !== undefined) {
    body = Buffer.from(spec.body.bytes, 'base64');
    bodyKind = 'bytes';
  }
  if (body !== null && body.length > DIRECT_RESPONSE_MAX_BYTES) {
    ctx.error('INVALID_FIELD', vs, [...at, 'body'], `a direct response body must be under 1 MB (got ${body.length} bytes)`);
    return null;
  }
  if (body !== null && body.length > DIRECT_RESPONSE_WARN_BYTES) {
    ctx.warn('LARGE_DIRECT_RESPONSE', vs, [...at, 'body'], `a ${body.length}-byte direct response body is large (Istio warns above 100 KB)`);
  }
  return { status: spec.status, body: body !== null && body.length > 0 ? body : null, bodyKind };
}

function compileCors(vs: ValidatedVirtualService, spec: NonNullable<HttpRouteSpec['corsPolicy']>, at: FieldPath, ctx: CompileContext): CorsPolicy | null {
  let ok = true;
  const compileRegex = ctx.regexCompiler(vs);
  const regexes: RegexCompiler = (source, caseInsensitive, field) => {
    const compiled = compileRegex(source, caseInsensitive, field);
    if (compiled === null) ok = false;
    return compiled;
  };
  const allowOrigins: StringMatch[] = [];
  if (spec.allowOrigins !== undefined) {
    spec.allowOrigins.forEach((m, i) => {
      const compiled = compileStringMatch(m, [...at, 'allowOrigins', i], regexes);
      if (compiled !== null) allowOrigins.push(compiled);
    });
    if (spec.allowOrigin !== undefined) {
      ctx.warn('NO_OP_FIELD', vs, [...at, 'allowOrigin'], 'allowOrigin (deprecated) is ignored when allowOrigins is set, as in Istio');
    }
  } else if (spec.allowOrigin !== undefined) {
    for (const origin of spec.allowOrigin) allowOrigins.push({ kind: 'exact', value: origin });
  }
  (spec.allowMethods ?? []).forEach((m, i) => {
    if (!CORS_METHODS.has(m)) {
      ctx.error('INVALID_FIELD', vs, [...at, 'allowMethods', i], `${JSON.stringify(m)} is not an HTTP method (${[...CORS_METHODS].join(', ')})`);
      ok = false;
    }
  });
  for (const field of ['allowHeaders', 'exposeHeaders'] as const) {
    (spec[field] ?? []).forEach((h, i) => {
      if (!HEADER_NAME.test(h)) {
        ctx.error('INVALID_FIELD', vs, [...at, field, i], `${JSON.stringify(h)} is not a header name`);
        ok = false;
      }
    });
  }
  let maxAge = '';
  if (spec.maxAge !== undefined) {
    const ms = parseDurationMs(spec.maxAge) ?? 0;
    if (ms % 1000 !== 0) {
      ctx.error('INVALID_DURATION', vs, [...at, 'maxAge'], `maxAge is accurate to seconds only (got ${spec.maxAge})`);
      ok = false;
    }
    maxAge = String(Math.floor(ms / 1000));
  }
  if (!ok) return null;
  return {
    allowOrigins,
    allowMethods: (spec.allowMethods ?? []).join(','),
    allowHeaders: (spec.allowHeaders ?? []).join(','),
    exposeHeaders: (spec.exposeHeaders ?? []).join(','),
    maxAge,
    allowCredentials: spec.allowCredentials ?? null,
    forwardNotMatchingPreflights: spec.unmatchedPreflights !== 'IGNORE',
  };
}
