/** Gateway spec schema: listeners are compiled from its servers. */
import { z } from 'zod';
import { portNumber, stringMap } from './common.ts';

export const ISTIO_SERVER_TLS_MODES = ['PASSTHROUGH', 'SIMPLE', 'MUTUAL', 'AUTO_PASSTHROUGH', 'ISTIO_MUTUAL', 'OPTIONAL_MUTUAL'] as const;

const server = z.strictObject({
  port: z.strictObject({
    number: portNumber,
    name: z.string().optional(),
    protocol: z.string().min(1),
  }),
  hosts: z.array(z.string().min(1)).min(1),
  bind: z.string().min(1).optional(),
  name: z.string().optional(),
  tls: z
    .strictObject({
      mode: z.enum(ISTIO_SERVER_TLS_MODES).optional(),
      serverCertificate: z.string().min(1).optional(),
      privateKey: z.string().min(1).optional(),
    })
    .optional(),
});

export const gatewaySpec = z.strictObject({
  // Accepted for compatibility with Istio manifests; shadowgate is the gateway, so there is nothing to select.
  selector: stringMap.optional(),
  servers: z.array(server).min(1),
});

export type GatewaySpec = z.infer<typeof gatewaySpec>;
export type GatewayServerSpec = z.infer<typeof server>;
