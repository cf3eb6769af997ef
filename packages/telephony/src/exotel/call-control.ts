import { z } from 'zod';
import type {
  CallControl,
  HangupResult,
  OutboundCallRequest,
  PlacedCall,
  TransferRequest,
  TransferResult,
} from '../call-control.ts';
import { ProviderApiError } from '../errors.ts';
import {
  apiBase,
  basicAuthorization,
  DEFAULT_REST_TIMEOUT_MS,
  parseJsonText,
  sendProviderRequest,
} from '../provider-rest.ts';

/**
 * Exotel's REST API base URL (Singapore cluster; Mumbai is `https://api.in.exotel.com`), per
 * https://developer.exotel.com/docs/voice-v1/api-reference/connect-two-numbers ("Regional
 * Endpoints").
 */
export const EXOTEL_API_BASE_URL = 'https://api.exotel.com';

/** Options of {@link ExotelCallControl}. */
export interface ExotelCallControlOptions {
  /** The account SID, part of every path. */
  readonly accountSid: string;
  /** The API key, the Basic user name. */
  readonly apiKey: string;
  /** The API token, the Basic password. */
  readonly apiToken: string;
  /**
   * API base URL without `/v1`; default {@link EXOTEL_API_BASE_URL}; accounts on the Mumbai
   * cluster use `https://api.in.exotel.com` (tests: a fake's `url`).
   */
  readonly apiBaseUrl?: string;
  /** Longest wait for one answer from Exotel, ms; default 15 000. */
  readonly requestTimeoutMs?: number;
}

/** Exotel's answer to a connect request. */
const connectAnswerSchema = z.object({
  Call: z.object({ Sid: z.string().min(1), Status: z.string().optional() }),
});

/** Exotel's error answer: `{ RestException: { Status, Message, Code } }`. */
const errorAnswerSchema = z.object({
  RestException: z.object({
    Message: z.string().optional(),
    Code: z
      .union([
        z.number().int(),
        z
          .string()
          .regex(/^\d{1,9}$/)
          .transform(Number),
      ])
      .optional(),
  }),
});

/**
 * {@link CallControl} over Exotel's Connect Voice AI API (form-encoded over `fetch`, HTTP Basic
 * `apiKey:apiToken`):
 *
 * - `placeCall`: `POST {base}/v1/Accounts/{accountSid}/Calls/connect.json` with `From` = the
 *   number to dial (`request.to`), `CallerId` = our ExoPhone (`request.from`), `StreamUrl` =
 *   `request.answerUrl` (the `ws(s)://` URL of our stream; `?sample-rate=` allowed),
 *   `StreamType=bidirectional`, `StatusCallback`, `StatusCallbackEvents[0]=answered`,
 *   `StatusCallbackEvents[1]=terminal` and `TimeLimit` (s) when given. Exotel answers
 *   `{Call: {Sid, Status}}` and connects the answered call straight to the stream; status
 *   callbacks are read with `parseExotelStatusCallback`. The feature must be enabled on the
 *   account.
 * - `hangUp`: Exotel has no hang-up request; it ends a Connect Voice AI call when our server
 *   closes the call's WebSocket, so this answers `not_supported` without a request.
 * - `transfer`: Exotel offers no mid-call transfer of a Voicebot or Connect Voice AI call
 *   through its API: a hand-off to a person is an App Bazaar flow's Connect applet after the
 *   Voicebot applet (reached when our server closes the stream), so this answers
 *   `not_supported` without a request. Source:
 *   https://developer.exotel.com/docs/agentstream/what-to-use-when (Connect Voice AI is "not
 *   for … bot→human"; the flow's Connect applet is).
 *
 * Sources: https://developer.exotel.com/docs/agentstream/developer-guide (Connect Voice AI),
 * https://developer.exotel.com/docs/voice-v1/api-reference/connect-to-flow,
 * https://developer.exotel.com/api/statuscallback.
 */
export class ExotelCallControl implements CallControl {
  /** Always `exotel`. */
  readonly provider = 'exotel';
  private readonly base: string;
  private readonly accountSid: string;
  private readonly authorization: string;
  private readonly timeoutMs: number;

  /** @throws TypeError when a credential is empty, or `apiBaseUrl` is not an http(s) URL. */
  constructor(options: ExotelCallControlOptions) {
    if (options.accountSid === '' || options.apiKey === '' || options.apiToken === '')
      throw new TypeError('Exotel account SID, API key or API token is empty');
    this.accountSid = options.accountSid;
    this.authorization = basicAuthorization(options.apiKey, options.apiToken);
    this.base = apiBase('exotel', options.apiBaseUrl ?? EXOTEL_API_BASE_URL);
    this.timeoutMs = options.requestTimeoutMs ?? DEFAULT_REST_TIMEOUT_MS;
  }

  /**
   * Places the call and has Exotel stream it to `request.answerUrl`.
   *
   * @returns `Call.Sid` as `providerCallId`.
   * @throws {@link ProviderApiError} when Exotel answers anything but 2xx (with
   *   `RestException.Code` as `providerCode` when given; `retryable` on 5xx and 429), answers
   *   2xx without `Call.Sid`, or cannot be reached in time (`retryable`).
   * @throws The signal's `reason` when `signal` aborts first.
   */
  async placeCall(request: OutboundCallRequest, signal?: AbortSignal): Promise<PlacedCall> {
    const form = new URLSearchParams({
      From: request.to,
      CallerId: request.from,
      StreamUrl: request.answerUrl,
      StreamType: 'bidirectional',
      StatusCallback: request.statusCallbackUrl,
      'StatusCallbackEvents[0]': 'answered',
      'StatusCallbackEvents[1]': 'terminal',
    });
    if (request.timeLimitSecs !== undefined) form.set('TimeLimit', String(request.timeLimitSecs));
    const answer = await sendProviderRequest({
      provider: 'exotel',
      operation: 'place_call',
      method: 'POST',
      url: `${this.base}/v1/Accounts/${encodeURIComponent(this.accountSid)}/Calls/connect.json`,
      headers: {
        Authorization: this.authorization,
        'Content-Type': 'application/x-www-form-urlencoded',
        Accept: 'application/json',
      },
      body: form,
      timeoutMs: this.timeoutMs,
      signal,
    });
    const json = parseJsonText(answer.text);
    if (answer.status < 200 || answer.status >= 300) {
      const error = errorAnswerSchema.safeParse(json);
      const said = error.success ? error.data.RestException : undefined;
      throw new ProviderApiError('exotel', 'place_call', `HTTP ${answer.status}`, {
        status: answer.status,
        ...(said?.Code === undefined ? {} : { providerCode: said.Code }),
        detail: said?.Message ?? answer.text,
      });
    }
    const parsed = connectAnswerSchema.safeParse(json);
    if (!parsed.success)
      throw new ProviderApiError('exotel', 'place_call', 'the answer has no Call.Sid', {
        status: answer.status,
        detail: answer.text,
      });
    return { providerCallId: parsed.data.Call.Sid };
  }

  /**
   * Exotel has no hang-up request: close the call's WebSocket to end it.
   *
   * @returns `not_supported`, always.
   * @throws The signal's `reason` when `signal` is already aborted.
   */
  async hangUp(_providerCallId: string, signal?: AbortSignal): Promise<HangupResult> {
    signal?.throwIfAborted();
    return 'not_supported';
  }

  /**
   * Exotel has no mid-call transfer for our calls (see the class notes).
   *
   * @returns `not_supported`, always, without a request.
   * @throws The signal's `reason` when `signal` is already aborted.
   */
  async transfer(
    _providerCallId: string,
    _request: TransferRequest,
    signal?: AbortSignal,
  ): Promise<TransferResult> {
    signal?.throwIfAborted();
    return 'not_supported';
  }
}
