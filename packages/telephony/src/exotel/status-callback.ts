import { z } from 'zod';
import { type CallStatusUpdate, FINAL_CALL_STATUSES, type ProviderCallStatus } from '../call-control.ts';
import {
  callbackFields,
  callStatusUpdate,
  checkCallbackFields,
  secondsSchema,
} from '../status-callback-form.ts';

/** Exotel's call `Status` values and what each means here. */
const EXOTEL_CALL_STATUSES: ReadonlyMap<string, ProviderCallStatus> = new Map([
  ['queued', 'ringing'],
  ['ringing', 'ringing'],
  ['in-progress', 'in_progress'],
  ['completed', 'completed'],
  ['failed', 'failed'],
  ['busy', 'busy'],
  ['no-answer', 'no_answer'],
  ['canceled', 'canceled'],
]);

const exotelStatusCallbackSchema = z.object({
  CallSid: z.string().min(1),
  Status: z.string().optional(),
  EventType: z.string().optional(),
  ConversationDuration: secondsSchema.optional(),
});

/**
 * Reads an Exotel call status callback: what Exotel POSTs to a call's `StatusCallback`
 * (`CallSid`, `Status`, `RecordingUrl`, `DateUpdated`; with `StatusCallbackEvents` also
 * `EventType`, `DateCreated`, `To`, `From`, `StartTime`, `EndTime`, `ConversationDuration`,
 * `Direction`, `CustomField`, …), form-encoded or as JSON. `EventType=answered` gives
 * `in_progress` and `EventType=ringing` `ringing`; otherwise `Status` maps as `completed`,
 * `failed`, `busy` as themselves, `no-answer` → `no_answer`, `in-progress` → `in_progress`,
 * `queued`, `ringing` → `ringing`. `EventType=terminal` is always final (`completed` when
 * `Status` says nothing final). `durationSecs` is `ConversationDuration` (s). Exotel signs
 * nothing: protect the URL with an unguessable path segment.
 *
 * Sources: https://developer.exotel.com/api/statuscallback,
 * https://developer.exotel.com/docs/agentstream/developer-guide (Connect Voice AI).
 *
 * @param form - The parsed body (field → value; a repeated field as an array; JSON numbers
 *   are taken as text).
 * @returns The update, or `undefined` when the callback carries no status we map.
 * @throws {@link ProviderProtocolError} `invalid_callback` when `form` is not an object, lacks
 *   `CallSid`, or has a `ConversationDuration` that is not a whole number of seconds.
 */
export function parseExotelStatusCallback(form: unknown): CallStatusUpdate | undefined {
  const raw = callbackFields('exotel', form);
  const fields = checkCallbackFields('exotel', exotelStatusCallbackSchema, raw);
  const reported = fields.Status === undefined ? undefined : EXOTEL_CALL_STATUSES.get(fields.Status);
  let status: ProviderCallStatus | undefined;
  if (fields.EventType === 'answered') status = 'in_progress';
  else if (fields.EventType === 'ringing') status = 'ringing';
  else if (fields.EventType === 'terminal')
    status = reported !== undefined && FINAL_CALL_STATUSES.has(reported) ? reported : 'completed';
  else status = reported;
  return status === undefined
    ? undefined
    : callStatusUpdate(fields.CallSid, status, fields.ConversationDuration, raw);
}
