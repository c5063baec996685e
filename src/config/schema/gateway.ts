/** Gateway spec schema: listeners are compiled from its servers. */
import { z } from 'zod';
import { portNumber, stringMap } from './common.ts';

export const ISTIO_SERVER_TLS_MODES = ['PASSTHROUGH', 'SIMPLE', 'MUTUAL', 'AUTO_PASSTHROUGH', 'ISTIO_MUTUAL', 'OPTIONAL_MUTUAL'] as const;
/** Istio's `ServerTLSSettings.TLSProtocol`. */
export const ISTIO_TLS_PROTOCOLS = ['TLS_AUTO', 'TLSV1_0', 'TLSV1_1', 'TLSV1_2', 'TLSV1_3'] as const;

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
      caCertificates: z.string().min(1).optional(),
      credentialName: z.string().min(1).optional(),
      subjectAltNames: z.array(z.string().min(1)).optional(),
      httpsRedirect: z.boolean().optional(),
      minProtocolVersion: z.enum(ISTIO_TLS_PROTOCOLS).optional(),
      maxProtocolVersion: z.enum(ISTIO_TLS_PROTOCOLS).optional(),
      cipherSuites: z.array(z.string().min(1)).optional(),
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
