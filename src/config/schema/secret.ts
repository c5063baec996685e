/**
 * Kubernetes `Secret` (core `v1`), read only so that `credentialName` can name one: its top-level
 * `type`, `data` (base64) and `stringData` become the resource's spec when loading. The values are
 * certificates and keys; nothing that reports on a Secret may quote them.
 */
import { z } from 'zod';

/** Values are checked by the Secret store, whose messages never quote them (a schema error would). */
const secretValues = z.record(z.string(), z.unknown());

export const secretSpec = z.strictObject({
  type: z.string().optional(),
  data: secretValues.optional(),
  stringData: secretValues.optional(),
  immutable: z.boolean().optional(),
});

export type SecretSpec = z.infer<typeof secretSpec>;
