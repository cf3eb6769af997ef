import { z } from 'zod';
import { type CallStatusUpdate, FINAL_CALL_STATUSES, type ProviderCallStatus } from '../call-control.ts';
import {
  callbackFields,
  callStatusUpdate,
  checkCallbackFields,
  secondsSchema,
} from '../status-callback-form.ts';

/** Vobiz's (Plivo's) `CallStatus` values and what each means here. */
const VOBIZ_CALL_STATUSES: ReadonlyMap<string, ProviderCallStatus> = new Map([
  ['queued', 'ringing'],
  ['ringing', 'ringing'],
  ['early-media', 'ringing'],
  ['in-progress', 'in_progress'],
  ['completed', 'completed'],
  ['busy', 'busy'],
  ['failed', 'failed'],
  ['no-answer', 'no_answer'],
  ['timeout', 'no_answer'],
  ['cancel', 'canceled'],
  ['canceled', 'canceled'],
]);

/** `HangupCause` names (Q.850, as Plivo-style platforms send them) that say why a call never connected. */
const UNCONNECTED_HANGUP_CAUSES: ReadonlyMap<string, ProviderCallStatus> = new Map([
  ['USER_BUSY', 'busy'],
  ['NO_ANSWER', 'no_answer'],
  ['NO_USER_RESPONSE', 'no_answer'],
  ['ORIGINATOR_CANCEL', 'canceled'],
]);

const vobizStatusCallbackSchema = z.object({
  CallUUID: z.string().min(1),
  CallStatus: z.string().optional(),
  Event: z.string().optional(),
  HangupCause: z.string().optional(),
  Duration: secondsSchema.optional(),
});

/**
 * Reads a Vobiz call callback: the form Vobiz POSTs to a call's `hangup_url` (`Event=Hangup`,
 * `CallUUID`, `From`, `To`, `Direction`, `CallStatus`, `Duration`, `BillDuration`,
 * `HangupCause`, …), and the ring / answer callbacks that carry a `CallStatus` (`Event=Ring`,
 * `StartApp`). `CallStatus` maps as `queued`, `ringing`, `early-media` → `ringing`;
 * `in-progress` → `in_progress`; `no-answer`, `timeout` → `no_answer`; `cancel` → `canceled`;
 * `completed`, `busy`, `failed` as themselves. A `Hangup` event is always final: without a
 * final `CallStatus`, `HangupCause` `USER_BUSY` gives `busy`, `NO_ANSWER`/`NO_USER_RESPONSE`
 * `no_answer`, `ORIGINATOR_CANCEL` `canceled`, anything else `completed`. `durationSecs` is
 * `Duration` (s). Check the request's `X-Vobiz-Signature-V3` with `validateVobizSignature` first.
 *
 * `providerCallId` is `CallUUID`, which Vobiz documents as equal to the `request_uuid` the make-call
 * request returned.
 *
 * Sources: https://docs.vobiz.ai/call/make-call (hangup_url), https://docs.vobiz.ai/xml/request
 * (callback parameters), https://docs.vobiz.ai/call/call-object.
 *
 * @param form - The parsed form body (field → value; a repeated field as an array).
 * @returns The update, or `undefined` when the callback is not a hang-up and carries no
 *   `CallStatus` we map.
 * @throws {@link ProviderProtocolError} `invalid_callback` when `form` is not an object, lacks
 *   `CallUUID`, or has a `Duration` that is not a whole number of seconds.
 */
export function parseVobizStatusCallback(form: unknown): CallStatusUpdate | undefined {
  const raw = callbackFields('vobiz', form);
  const fields = checkCallbackFields('vobiz', vobizStatusCallbackSchema, raw);
  const reported = fields.CallStatus === undefined ? undefined : VOBIZ_CALL_STATUSES.get(fields.CallStatus);
  let status = reported;
  if (fields.Event === 'Hangup' && (reported === undefined || !FINAL_CALL_STATUSES.has(reported))) {
    const cause =
      fields.HangupCause === undefined ? undefined : UNCONNECTED_HANGUP_CAUSES.get(fields.HangupCause);
    status = cause ?? 'completed';
  }
  return status === undefined ? undefined : callStatusUpdate(fields.CallUUID, status, fields.Duration, raw);
}
