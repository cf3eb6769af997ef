import type { ProviderName } from './types.ts';

/**
 * The provider-neutral contract for controlling calls over a telephony provider's REST API:
 * placing an outbound call, hanging one up and transferring one ({@link CallControl}, one
 * implementation per provider), and the call status the provider reports back to the status callback URL
 * ({@link CallStatusUpdate}, from each provider's status-callback parser).
 */

/**
 * Where a call is, in provider-neutral terms:
 *
 * - `ringing`: accepted by the provider and not answered yet (Twilio `queued`, `initiated`,
 *   `ringing`);
 * - `in_progress`: answered;
 * - `completed`: answered, then ended;
 * - `failed`: could not be placed (bad number, provider error);
 * - `busy`: the callee was busy;
 * - `no_answer`: nobody answered before the ring timeout;
 * - `canceled`: hung up (by us or the API) before it was answered.
 *
 * All but `ringing` and `in_progress` are final.
 */
export type ProviderCallStatus =
  | 'ringing'
  | 'in_progress'
  | 'completed'
  | 'failed'
  | 'busy'
  | 'no_answer'
  | 'canceled';

/** The final {@link ProviderCallStatus}es: nothing follows them. */
export const FINAL_CALL_STATUSES: ReadonlySet<ProviderCallStatus> = new Set([
  'completed',
  'failed',
  'busy',
  'no_answer',
  'canceled',
]);

/** An outbound call to place with {@link CallControl.placeCall}. */
export interface OutboundCallRequest {
  /** The number to dial, E.164 (e.g. `+15557654321`). */
  to: string;
  /** The caller id: a number of ours at the provider (Exotel: the ExoPhone), E.164. */
  from: string;
  /**
   * Where the provider fetches call instructions / the stream: Twilio: the voice webhook URL
   * (our server answers it with TwiML); Vobiz: the `answer_url` (our server answers XML);
   * Exotel: the `wss://` StreamUrl itself (Connect Voice AI connects the answered call to it).
   */
  answerUrl: string;
  /** Absolute URL the provider POSTs the call's status changes to (form-encoded). */
  statusCallbackUrl: string;
  /** Longest the call may last once answered, s; the provider hangs up after it. Optional. */
  timeLimitSecs?: number;
}

/** A call the provider accepted. */
export interface PlacedCall {
  /**
   * The provider's id of the call (Twilio `CallSid`, Vobiz `request_uuid` = `CallUUID`, Exotel
   * `Call.Sid`): status callbacks and the stream's `start` message carry it.
   */
  providerCallId: string;
}

/**
 * What {@link CallControl.hangUp} did: `ended`, the provider hung the call up; `already_ended`,
 * the call had already ended (or the provider does not know it); `not_supported`, the provider
 * has no hang-up request (Exotel: close the call's WebSocket instead).
 */
export type HangupResult = 'ended' | 'already_ended' | 'not_supported';

/** Where {@link CallControl.transfer} connects the call's party to. */
export interface TransferRequest {
  /** The number to dial and bridge the party to, E.164 (e.g. `+15557654321`). */
  readonly to: string;
  /**
   * The caller ID the dialed number sees, E.164: a number of ours at the provider (or, on
   * Twilio, a verified one). Default: the provider's (Twilio: the call's own caller ID; Vobiz:
   * the current caller's number).
   */
  readonly callerId?: string;
  /**
   * Vobiz only: the absolute http(s) URL Vobiz fetches the transfer's VobizXML from (our server
   * answers it with `vobizDialXml`). Twilio takes its TwiML inline; Exotel has no transfer.
   */
  readonly instructionsUrl?: string;
}

/**
 * What {@link CallControl.transfer} did: `transferred`, the provider accepted the new
 * instructions (it ends our media stream and dials the number; whether the number answers is
 * not known yet); `already_ended`, the call is no longer in progress (or the provider does not
 * know it); `not_supported`, the provider has no mid-call transfer for our calls (Exotel).
 */
export type TransferResult = 'transferred' | 'already_ended' | 'not_supported';

/**
 * Places and ends calls through one provider account's REST API. Implementations:
 * `TwilioCallControl`, `VobizCallControl`, `ExotelCallControl`. Safe to share between calls.
 */
export interface CallControl {
  /** The provider this client speaks to. */
  readonly provider: ProviderName;
  /**
   * Asks the provider to dial `request.to`. Resolves when the provider accepted the call, not
   * when it is answered: follow its status through the status callback.
   *
   * @throws {@link ProviderApiError} when the provider refuses the request or cannot be reached
   *   (see its `retryable`).
   * @throws The signal's `reason` when `signal` aborts first. An abort after the request left
   *   may still leave a call placed.
   */
  placeCall(request: OutboundCallRequest, signal?: AbortSignal): Promise<PlacedCall>;
  /**
   * Ends the call (answered or still ringing).
   *
   * @throws {@link ProviderApiError} when the provider refuses the request or cannot be reached.
   * @throws The signal's `reason` when `signal` aborts first.
   */
  hangUp(providerCallId: string, signal?: AbortSignal): Promise<HangupResult>;
  /**
   * Replaces the answered call's instructions with a dial to `request.to` (a blind transfer):
   * the provider stops our media stream and bridges the party on the call to that number.
   *
   * @param providerCallId - The call's provider id ({@link PlacedCall.providerCallId}, or the
   *   `CallSid` / `CallUUID` of an inbound call).
   * @throws {@link ProviderApiError} (operation `transfer`) when the provider refuses the
   *   request or cannot be reached.
   * @throws TypeError when `request` lacks what the provider needs (Vobiz: `instructionsUrl`).
   * @throws The signal's `reason` when `signal` aborts first.
   */
  transfer(providerCallId: string, request: TransferRequest, signal?: AbortSignal): Promise<TransferResult>;
}

/** One call status callback from the provider, read by the provider's status-callback parser. */
export interface CallStatusUpdate {
  /** The provider's call id ({@link PlacedCall.providerCallId}). */
  providerCallId: string;
  /** The call's status in provider-neutral terms. */
  status: ProviderCallStatus;
  /** How long the call was connected, s, when the provider says (usually only once ended). */
  durationSecs?: number;
  /** Every string field of the callback as received (the first value of a repeated field). */
  raw: Record<string, string>;
}
