/**
 * An agent's call transfer settings (`config.transfer`): the only numbers the built-in
 * `transfer_call` may dial, each under a name the LLM picks from. The LLM never gives a number,
 * so a caller cannot talk the agent into dialing one of their choosing.
 */
import { z } from 'zod';

/** An E.164 number: `+`, a country code not starting with 0, at most 15 digits in all. */
export const e164Schema = z
  .string()
  .regex(/^\+[1-9]\d{1,14}$/, 'an E.164 number: "+", then the country code and number, digits only');

/** One place calls may be transferred to. */
export const transferDestinationSchema = z.strictObject({
  /** What the LLM calls it (`transfer_call`'s `destination`), e.g. `sales`. */
  name: z
    .string()
    .regex(/^[a-z0-9][a-z0-9_-]{0,39}$/, 'lower-case letters, digits, "_" and "-" (at most 40)'),
  /** The number dialed, E.164. */
  number: e164Schema,
  /** When to transfer there, for the LLM (e.g. "billing questions"). */
  description: z.string().trim().min(1).max(200).optional(),
});

/** The zod schema of `config.transfer`. */
export const transferConfigSchema = z.strictObject({
  /** Where `transfer_call` may send the call: 1 to 20 destinations with distinct names. */
  destinations: z
    .array(transferDestinationSchema)
    .min(1)
    .max(20)
    .superRefine((destinations, ctx) => {
      const seen = new Set<string>();
      destinations.forEach((d, i) => {
        if (seen.has(d.name))
          ctx.addIssue({ code: 'custom', path: [i, 'name'], message: `"${d.name}" is used twice` });
        seen.add(d.name);
      });
    }),
  /**
   * Caller ID the destination sees, E.164: a number of ours at the provider (Twilio: or a
   * verified one). Default: the provider's (Twilio: the call's own caller ID; Vobiz: the caller's number).
   */
  callerId: e164Schema.optional(),
});

/** A validated `config.transfer`. */
export type TransferConfig = z.output<typeof transferConfigSchema>;

/** A validated transfer destination. */
export type TransferDestination = z.output<typeof transferDestinationSchema>;
