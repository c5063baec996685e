/** DestinationRule spec schema: subsets and the traffic policy of each cluster. */
import { z } from 'zod';
import { duration, portNumber, stringMap } from './common.ts';

export const ISTIO_LB_SIMPLE = ['UNSPECIFIED', 'LEAST_CONN', 'RANDOM', 'PASSTHROUGH', 'ROUND_ROBIN', 'LEAST_REQUEST'] as const;
export const ISTIO_CLIENT_TLS_MODES = ['DISABLE', 'SIMPLE', 'MUTUAL', 'ISTIO_MUTUAL'] as const;

const percentInt = z.int().min(0).max(100);

/** Istio `LoadBalancerSettings.ConsistentHashLB`; the one-of rules are checked when compiling. */
const consistentHash = z.strictObject({
  httpHeaderName: z.string().min(1).optional(),
  httpCookie: z
    .strictObject({
      name: z.string().min(1),
      path: z.string().optional(),
      ttl: duration.optional(),
    })
    .optional(),
  useSourceIp: z.boolean().optional(),
  httpQueryParameterName: z.string().min(1).optional(),
  ringHash: z.strictObject({ minimumRingSize: z.int().min(0).optional() }).optional(),
  maglev: z.strictObject({ tableSize: z.int().min(0).optional() }).optional(),
  /** Deprecated in Istio for `ringHash.minimumRingSize`. */
  minimumRingSize: z.int().min(0).optional(),
});

const loadBalancer = z.strictObject({
  simple: z.enum(ISTIO_LB_SIMPLE).optional(),
  consistentHash: consistentHash.optional(),
});

const connectionPool = z.strictObject({
  tcp: z
    .strictObject({
      maxConnections: z.int().min(1).optional(),
      connectTimeout: duration.optional(),
    })
    .optional(),
  http: z
    .strictObject({
      http1MaxPendingRequests: z.int().min(0).optional(),
      http2MaxRequests: z.int().min(0).optional(),
      maxRequestsPerConnection: z.int().min(0).optional(),
      maxRetries: z.int().min(0).optional(),
      idleTimeout: duration.optional(),
    })
    .optional(),
});

/** Istio `OutlierDetection`; `consecutiveErrors` is the deprecated field Istio still accepts. */
const outlierDetection = z.strictObject({
  consecutiveErrors: z.int().min(0).optional(),
  consecutive5xxErrors: z.int().min(0).optional(),
  consecutiveGatewayErrors: z.int().min(0).optional(),
  interval: duration.optional(),
  baseEjectionTime: duration.optional(),
  maxEjectionPercent: percentInt.optional(),
  minHealthPercent: percentInt.optional(),
});

const clientTls = z.strictObject({
  mode: z.enum(ISTIO_CLIENT_TLS_MODES).optional(),
  sni: z.string().min(1).optional(),
  caCertificates: z.string().min(1).optional(),
  clientCertificate: z.string().min(1).optional(),
  privateKey: z.string().min(1).optional(),
  credentialName: z.string().min(1).optional(),
  insecureSkipVerify: z.boolean().optional(),
});

/** The sections a port-level policy may set (Istio `TrafficPolicy.PortTrafficPolicy`). */
const policySections = {
  loadBalancer: loadBalancer.optional(),
  connectionPool: connectionPool.optional(),
  outlierDetection: outlierDetection.optional(),
  tls: clientTls.optional(),
};

export const portTrafficPolicy = z.strictObject({
  port: z.strictObject({ number: portNumber }),
  ...policySections,
});

export const trafficPolicy = z.strictObject({
  ...policySections,
  portLevelSettings: z.array(portTrafficPolicy).optional(),
});

const subset = z.strictObject({
  name: z.string().min(1),
  labels: stringMap.optional(),
  trafficPolicy: trafficPolicy.optional(),
});

export const destinationRuleSpec = z.strictObject({
  host: z.string().min(1),
  trafficPolicy: trafficPolicy.optional(),
  subsets: z.array(subset).optional(),
  exportTo: z.array(z.string().min(1)).optional(),
});

export type DestinationRuleSpec = z.infer<typeof destinationRuleSpec>;
export type TrafficPolicySpec = z.infer<typeof trafficPolicy>;
export type PortTrafficPolicySpec = z.infer<typeof portTrafficPolicy>;
