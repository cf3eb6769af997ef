/**
 * `preCall` of an agent's configuration: one HTTP request made before the greeting (e.g. look
 * the caller up by number), whose JSON answer fills context variables.
 */
import { z } from 'zod';
import { credentialNameSchema } from '../credentials/kinds.ts';

/** A header whose value is a secret: field `field` of `generic` credential `credential`, after `prefix`. */
const secretHeaderSchema = z.strictObject({
  credential: credentialNameSchema,
  /** The credential's field holding the secret. */
  field: z.string().min(1).max(64),
  /** Put before the secret, e.g. `Bearer `. */
  prefix: z.string().max(64).optional(),
});

/** A header: a plain value (`{{var}}` templates allowed) or a secret from a credential. */
export type PreCallHeader = string | z.output<typeof secretHeaderSchema>;

/** The schema of {@link PreCallConfig}. */
export const preCallConfigSchema = z.strictObject({
  /**
   * The URL, with `{{var}}` templates (values URL-encoded): the call's `callId`, `direction`,
   * `from`, `to`, `caller` (the other party: `from` inbound, `to` outbound) and its context
   * variables. Non-public addresses are refused unless `EGRESS_ALLOW` allows them.
   */
  url: z.string().min(1).max(2000),
  method: z.enum(['GET', 'POST']).default('GET'),
  headers: z
    .record(z.string().regex(/^[A-Za-z0-9-]{1,64}$/), z.union([z.string().max(2000), secretHeaderSchema]))
    .optional(),
  /** JSON body of a POST with `{{var}}` templates (values JSON-escaped). */
  body: z.string().max(20_000).optional(),
  /** Longest wait for the answer (the greeting waits for it), s. Default 3. */
  timeoutSecs: z.number().positive().max(10).default(3),
  /**
   * Which context variable each part of the JSON answer fills: `{ varName: 'path' }`, the path
   * dotted (`customer.name`, `items.0.id`, an optional leading `$.`).
   */
  map: z.record(z.string().min(1).max(64), z.string().min(1).max(200)),
});

/** A validated `preCall` configuration. */
export type PreCallConfig = z.output<typeof preCallConfigSchema>;
