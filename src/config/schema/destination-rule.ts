/** DestinationRule spec schema: subsets and the traffic policy of each cluster. */
import { z } from 'zod';
import { duration, stringMap } from './common.ts';

export const ISTIO_LB_SIMPLE = ['UNSPECIFIED', 'LEAST_CONN', 'RANDOM', 'PASSTHROUGH', 'ROUND_ROBIN', 'LEAST_REQUEST'] as const;
export const ISTIO_CLIENT_TLS_MODES = ['DISABLE', 'SIMPLE', 'MUTUAL', 'ISTIO_MUTUAL'] as const;

export const trafficPolicy = z.strictObject({
  loadBalancer: z.strictObject({ simple: z.enum(ISTIO_LB_SIMPLE).optional() }).optional(),
  connectionPool: z
    .strictObject({
      tcp: z
        .strictObject({
          maxConnections: z.int().min(1).optional(),
          connectTimeout: duration.optional(),
        })
        .optional(),
      http: z
        .strictObject({
          http1MaxPendingRequests: z.int().min(0).optional(),
          idleTimeout: duration.optional(),
        })
        .optional(),
    })
    .optional(),
  tls: z
    .strictObject({
      mode: z.enum(ISTIO_CLIENT_TLS_MODES).optional(),
      sni: z.string().min(1).optional(),
      caCertificates: z.string().min(1).optional(),
      insecureSkipVerify: z.boolean().optional(),
    })
    .optional(),
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
