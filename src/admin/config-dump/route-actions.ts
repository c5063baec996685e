/**
 * A route's actions in Envoy's spelling, as Istio's route translation writes them: `redirect` and
 * `direct_response` in place of `route`, and the fault and CORS policies as the route's
 * `typed_per_filter_config` for `envoy.filters.http.fault` and `envoy.filters.http.cors`.
 */
import type { CorsPolicy, DirectResponseAction, FaultPolicy, RedirectAction } from '../../snapshot/types.ts';
import { MILLION } from '../../snapshot/fraction.ts';
import {
  TYPE_URLS,
  type EnvoyCorsPolicy,
  type EnvoyDirectResponseAction,
  type EnvoyFractionalPercent,
  type EnvoyHttpFault,
  type EnvoyRedirectAction,
  type EnvoyTypedPerFilterConfig,
} from './envoy-types.ts';
import { envoyDuration, stringMatcher } from './values.ts';

/** Istio's marker for a prefix redirect, which it writes as Envoy's `prefix_rewrite`. */
const PREFIX_REDIRECT = '%PREFIX()%';

const RESPONSE_CODES = {
  301: 'MOVED_PERMANENTLY',
  302: 'FOUND',
  303: 'SEE_OTHER',
  307: 'TEMPORARY_REDIRECT',
  308: 'PERMANENT_REDIRECT',
} as const;

/** `listenerPort` stands in for `derivePort: FROM_REQUEST_PORT`, as Istio writes the listener's port. */
export function renderRedirect(redirect: RedirectAction, listenerPort: number): EnvoyRedirectAction {
  const port = redirect.port === 'request' ? listenerPort : redirect.port;
  const path = redirect.path;
  return {
    ...(redirect.scheme !== null ? { scheme_redirect: redirect.scheme } : {}),
    ...(redirect.host !== null ? { host_redirect: redirect.host } : {}),
    ...(port !== null ? { port_redirect: port } : {}),
    ...(path === null ? {} : path.startsWith(PREFIX_REDIRECT) ? { prefix_rewrite: path.slice(PREFIX_REDIRECT.length) } : { path_redirect: path }),
    // Proto JSON leaves the default enum value (MOVED_PERMANENTLY) out.
    ...(redirect.responseCode !== 301 ? { response_code: RESPONSE_CODES[redirect.responseCode] } : {}),
  };
}

export function renderDirectResponse(direct: DirectResponseAction): EnvoyDirectResponseAction {
  if (direct.body === null) return { status: direct.status };
  return {
    status: direct.status,
    body: direct.bodyKind === 'bytes' ? { inline_bytes: direct.body.toString('base64') } : { inline_string: direct.body.toString('utf8') },
  };
}

/** The route's per-filter configs; `null` when it has neither a fault nor a CORS policy. */
export function renderTypedPerFilterConfig(fault: FaultPolicy | null, cors: CorsPolicy | null): EnvoyTypedPerFilterConfig | null {
  if (fault === null && cors === null) return null;
  return {
    ...(cors !== null ? { 'envoy.filters.http.cors': renderCors(cors) } : {}),
    ...(fault !== null ? { 'envoy.filters.http.fault': renderFault(fault) } : {}),
  };
}

function fraction(perMillion: number, denominator: 'HUNDRED' | undefined): EnvoyFractionalPercent {
  return denominator === 'HUNDRED'
    ? { numerator: Math.round(perMillion / (MILLION / 100)), denominator: 'HUNDRED' }
    : { numerator: perMillion, denominator: 'MILLION' };
}

function renderFault(fault: FaultPolicy): EnvoyHttpFault {
  return {
    '@type': TYPE_URLS.httpFault,
    ...(fault.delay !== null
      ? { delay: { fixed_delay: envoyDuration(fault.delay.delayMs), percentage: fraction(fault.delay.perMillion, fault.delay.denominator) } }
      : {}),
    ...(fault.abort !== null
      ? {
          abort: {
            http_status: fault.abort.httpStatus,
            ...(fault.abort.percentageUnset ? {} : { percentage: fraction(fault.abort.perMillion, undefined) }),
          },
        }
      : {}),
  };
}


function renderCors(cors: CorsPolicy): EnvoyCorsPolicy {
  return {
    '@type': TYPE_URLS.corsPolicy,
    ...(cors.allowOrigins.length > 0 ? { allow_origin_string_match: cors.allowOrigins.map(stringMatcher) } : {}),
    ...(cors.allowMethods !== '' ? { allow_methods: cors.allowMethods } : {}),
    ...(cors.allowHeaders !== '' ? { allow_headers: cors.allowHeaders } : {}),
    ...(cors.exposeHeaders !== '' ? { expose_headers: cors.exposeHeaders } : {}),
    ...(cors.maxAge !== '' ? { max_age: cors.maxAge } : {}),
    ...(cors.allowCredentials !== null ? { allow_credentials: cors.allowCredentials } : {}),
    filter_enabled: { default_value: { numerator: 100, denominator: 'HUNDRED' } },
    forward_not_matching_preflights: cors.forwardNotMatchingPreflights,
  };
}
