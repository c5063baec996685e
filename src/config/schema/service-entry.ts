/** ServiceEntry spec schema: the service registry shadowgate routes to. */
import { z } from 'zod';
import { portNumber, stringMap } from './common.ts';

const servicePort = z.strictObject({
  number: portNumber,
  name: z.string().optional(),
  protocol: z.string().min(1).optional(),
  targetPort: portNumber.optional(),
});

const endpoint = z.strictObject({
  address: z.string().min(1),
  ports: z.record(z.string(), portNumber).optional(),
  labels: stringMap.optional(),
  weight: z.int().min(0).optional(),
});

export const serviceEntrySpec = z.strictObject({
  hosts: z.array(z.string().min(1)).min(1),
  ports: z.array(servicePort).min(1),
  location: z.enum(['MESH_EXTERNAL', 'MESH_INTERNAL']).optional(),
  resolution: z.enum(['NONE', 'STATIC', 'DNS', 'DNS_ROUND_ROBIN', 'DYNAMIC_DNS']).optional(),
  endpoints: z.array(endpoint).optional(),
  exportTo: z.array(z.string().min(1)).optional(),
});

export type ServiceEntrySpec = z.infer<typeof serviceEntrySpec>;
