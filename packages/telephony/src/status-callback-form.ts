import { z } from 'zod';
import type { CallStatusUpdate, ProviderCallStatus } from './call-control.ts';
import { ProviderProtocolError } from './errors.ts';
import type { ProviderName } from './types.ts';

/**
 * Reading the body of a provider's call status callback: a form-encoded POST as a body parser
 * gives it (an object of strings, repeated keys as arrays), or a flat JSON object (Exotel can
 * send JSON), before each provider's zod schema checks the fields it needs; and the update
 * each parser returns.
 */

/** A whole number of seconds as a form gives it (`"42"`), or a JSON number. */
export const secondsSchema = z.union([
  z
    .string()
    .regex(/^\d{1,9}$/)
    .transform(Number),
  z.number().int().nonnegative().max(999_999_999),
]);

/**
 * The callback's fields as strings: strings kept, the first string of an array, numbers and
 * booleans as text; other values (nested objects, `null`) left out.
 *
 * @throws {@link ProviderProtocolError} `invalid_callback` when `form` is not an object.
 */
export function callbackFields(provider: ProviderName, form: unknown): Record<string, string> {
  if (typeof form !== 'object' || form === null || Array.isArray(form))
    throw new ProviderProtocolError(provider, 'invalid_callback', `${provider} status callback: not a form`);
  const fields: Record<string, string> = {};
  for (const [key, value] of Object.entries(form)) {
    const first: unknown = Array.isArray(value) ? value[0] : value;
    if (typeof first === 'string') fields[key] = first;
    else if (typeof first === 'number' || typeof first === 'boolean') fields[key] = String(first);
  }
  return fields;
}

/**
 * `fields` checked against `schema`.
 *
 * @throws {@link ProviderProtocolError} `invalid_callback` naming the first bad field (never its
 *   value).
 */
export function checkCallbackFields<T>(
  provider: ProviderName,
  schema: z.ZodType<T>,
  fields: Record<string, string>,
): T {
  const result = schema.safeParse(fields);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const field = issue?.path.join('.') || 'form';
  const problem = fields[field] === undefined ? `lacks ${field}` : `has an invalid ${field}`;
  throw new ProviderProtocolError(provider, 'invalid_callback', `${provider} status callback ${problem}`);
}

/**
 * The update a callback gives: `durationSecs` (s) only when the callback carried a duration.
 *
 * @param raw - The callback's fields as {@link callbackFields} read them.
 */
export function callStatusUpdate(
  providerCallId: string,
  status: ProviderCallStatus,
  durationSecs: number | undefined,
  raw: Record<string, string>,
): CallStatusUpdate {
  return { providerCallId, status, ...(durationSecs === undefined ? {} : { durationSecs }), raw };
}
