import { z } from 'zod';
import type { CallStatusUpdate, ProviderCallStatus } from '../call-control.ts';
import {
  callbackFields,
  callStatusUpdate,
  checkCallbackFields,
  secondsSchema,
} from '../status-callback-form.ts';

/** Twilio's `CallStatus` values and what each means here. */
const TWILIO_CALL_STATUSES: ReadonlyMap<string, ProviderCallStatus> = new Map([
  ['queued', 'ringing'],
  ['initiated', 'ringing'],
  ['ringing', 'ringing'],
  ['in-progress', 'in_progress'],
  ['completed', 'completed'],
  ['busy', 'busy'],
  ['failed', 'failed'],
  ['no-answer', 'no_answer'],
  ['canceled', 'canceled'],
]);

const twilioStatusCallbackSchema = z.object({
  CallSid: z.string().min(1),
  CallStatus: z.string().optional(),
  CallDuration: secondsSchema.optional(),
});

/**
 * Reads a Twilio call status callback: the form Twilio POSTs to a call's `StatusCallback`
 * (`CallSid`, `AccountSid`, `From`, `To`, `Direction`, `CallStatus`, `CallDuration` once
 * completed, `Timestamp`, `SequenceNumber`, …). `CallStatus` maps as `queued`, `initiated`,
 * `ringing` → `ringing`; `in-progress` → `in_progress`; `no-answer` → `no_answer`; `completed`,
 * `busy`, `failed`, `canceled` as themselves. `durationSecs` is `CallDuration` (s). Check the
 * request's `X-Twilio-Signature` with `validateTwilioSignature` first.
 *
 * Source: https://www.twilio.com/docs/voice/api/call-resource (StatusCallback parameters).
 *
 * @param form - The parsed form body (field → value; a repeated field as an array).
 * @returns The update, or `undefined` when the callback carries no `CallStatus` we map.
 * @throws {@link ProviderProtocolError} `invalid_callback` when `form` is not an object, lacks
 *   `CallSid`, or has a `CallDuration` that is not a whole number of seconds.
 */
export function parseTwilioStatusCallback(form: unknown): CallStatusUpdate | undefined {
  const raw = callbackFields('twilio', form);
  const fields = checkCallbackFields('twilio', twilioStatusCallbackSchema, raw);
  const status = fields.CallStatus === undefined ? undefined : TWILIO_CALL_STATUSES.get(fields.CallStatus);
  return status === undefined
    ? undefined
    : callStatusUpdate(fields.CallSid, status, fields.CallDuration, raw);
}
