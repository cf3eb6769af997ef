/**
 * `postCall` of an agent's configuration: what happens after a call ends and is stored; an
 * LLM analysis of the transcript and a signed webhook to the operator.
 */
import { z } from 'zod';
import { credentialNameSchema } from '../credentials/kinds.ts';

/** One field the analysis extracts from the conversation. */
const analysisFieldSchema = z.strictObject({
  name: z.string().regex(/^[A-Za-z_][\w-]{0,63}$/, 'a field name: letters, digits, "_" or "-"'),
  type: z.enum(['string', 'number', 'boolean']),
  /** What to extract, for the LLM. */
  description: z.string().max(500).optional(),
});

/** The schema of {@link PostCallConfig}. */
export const postCallConfigSchema = z.strictObject({
  /** Asks the agent's LLM about the transcript once the call is stored. */
  analysis: z
    .strictObject({
      /** A short summary of the call. Default true. */
      summary: z.boolean().default(true),
      /** Fields to extract; a field the conversation does not give is `null`. */
      fields: z.array(analysisFieldSchema).max(50).default([]),
      /** How the call ended, one of these words (e.g. `booked`, `not_interested`). */
      disposition: z.array(z.string().min(1).max(64)).max(50).default([]),
    })
    .optional(),
  /**
   * POSTs `{ call, transcript, analysis, usage }` to `url` once the call is stored (and
   * analysed), signed with the secret of `secretCredential` (see `post-call/webhook.ts`).
   */
  webhook: z
    .strictObject({
      url: z.url({ protocol: /^https?$/ }),
      /** A `generic` credential bound to the URL's origin, whose field `secret` signs the body. */
      secretCredential: credentialNameSchema,
    })
    .optional(),
});

/** A validated `postCall` configuration. */
export type PostCallConfig = z.output<typeof postCallConfigSchema>;
