import { z } from 'zod';
import { parseAbsoluteUrl } from '../absolute-url.ts';
import type {
  CallControl,
  HangupResult,
  OutboundCallRequest,
  PlacedCall,
  TransferRequest,
  TransferResult,
} from '../call-control.ts';
import { ProviderApiError, type ProviderApiOperation } from '../errors.ts';
import {
  apiBase,
  DEFAULT_REST_TIMEOUT_MS,
  type ProviderAnswer,
  parseJsonText,
  sendProviderRequest,
} from '../provider-rest.ts';

/** Vobiz's REST API base URL, per https://docs.vobiz.ai/call/make-call. */
export const VOBIZ_API_BASE_URL = 'https://api.vobiz.ai/api/v1';

/** Options of {@link VobizCallControl}. */
export interface VobizCallControlOptions {
  /** The account's Auth ID (`MA…`), sent as `X-Auth-ID` and part of every path. */
  readonly authId: string;
  /** The account's Auth Token, sent as `X-Auth-Token`. */
  readonly authToken: string;
  /** API base URL including `/api/v1`; default {@link VOBIZ_API_BASE_URL} (tests: a fake's `url`). */
  readonly apiBaseUrl?: string;
  /** Longest wait for one answer from Vobiz, ms; default 15 000. */
  readonly requestTimeoutMs?: number;
}

/** Vobiz's answer to a make-call request; `request_uuid` is the call's `CallUUID`. */
const makeCallAnswerSchema = z.object({
  request_uuid: z.string().min(1),
  api_id: z.string().optional(),
  message: z.string().optional(),
});

/** Vobiz's (Plivo-style) error answer: `{ api_id, error }`, `error` a text or an object. */
const errorAnswerSchema = z.object({ error: z.unknown().optional(), message: z.unknown().optional() });

/**
 * {@link CallControl} over Vobiz's REST API (JSON over `fetch`, headers `X-Auth-ID` /
 * `X-Auth-Token`):
 *
 * - `placeCall`: `POST {base}/Account/{authId}/Call/` with `{from, to, answer_url,
 *   answer_method: 'POST', hangup_url, hangup_method: 'POST', time_limit?}`; Vobiz answers 201
 *   `{api_id, request_uuid, message: 'Call fired'}` and requests `answer_url` (XML) when the
 *   callee answers, `hangup_url` (form, `Event=Hangup`) when the call ends: read it with
 *   `parseVobizStatusCallback`.
 * - `hangUp`: `DELETE {base}/Account/{authId}/Call/{callUuid}/`: 204 → `ended`, 404 →
 *   `already_ended`.
 * - `transfer`: `POST {base}/Account/{authId}/Call/{callUuid}/` with `{legs: 'aleg', aleg_url,
 *   aleg_method: 'POST'}` ("Transfer a Call"): Vobiz answers 202 `{api_id, message, call_uuid}`,
 *   stops the call's current XML (our `<Stream>`, so the media stream ends) and runs the XML it
 *   fetches from `aleg_url` (ours answers `vobizDialXml`); 404 → `already_ended`.
 *
 * Sources: https://docs.vobiz.ai/call/make-call, https://docs.vobiz.ai/call/call-object,
 * https://docs.vobiz.ai/call/hangup-call (the hang-up request and its 204),
 * https://docs.vobiz.ai/call/transfer-call (the transfer request, its fields and its 202).
 */
export class VobizCallControl implements CallControl {
  /** Always `vobiz`. */
  readonly provider = 'vobiz';
  private readonly base: string;
  private readonly authId: string;
  private readonly authToken: string;
  private readonly timeoutMs: number;

  /** @throws TypeError when `authId` or `authToken` is empty, or `apiBaseUrl` is not an http(s) URL. */
  constructor(options: VobizCallControlOptions) {
    if (options.authId === '' || options.authToken === '')
      throw new TypeError('Vobiz auth id or auth token is empty');
    this.authId = options.authId;
    this.authToken = options.authToken;
    this.base = apiBase('vobiz', options.apiBaseUrl ?? VOBIZ_API_BASE_URL);
    this.timeoutMs = options.requestTimeoutMs ?? DEFAULT_REST_TIMEOUT_MS;
  }

  /**
   * Places the call. `timeLimitSecs` becomes `time_limit` (s).
   *
   * @returns The call's `request_uuid` (= `CallUUID`) as `providerCallId`.
   * @throws {@link ProviderApiError} when Vobiz answers anything but 2xx (`retryable` on 5xx and
   *   429), answers 2xx without a `request_uuid`, or cannot be reached in time (`retryable`).
   * @throws The signal's `reason` when `signal` aborts first.
   */
  async placeCall(request: OutboundCallRequest, signal?: AbortSignal): Promise<PlacedCall> {
    const body = {
      from: request.from,
      to: request.to,
      answer_url: request.answerUrl,
      answer_method: 'POST',
      hangup_url: request.statusCallbackUrl,
      hangup_method: 'POST',
      ...(request.timeLimitSecs === undefined ? {} : { time_limit: request.timeLimitSecs }),
    };
    const answer = await this.send('place_call', 'POST', `${this.callsUrl()}/`, signal, JSON.stringify(body));
    if (answer.status < 200 || answer.status >= 300) throw answerError('place_call', answer);
    const parsed = makeCallAnswerSchema.safeParse(parseJsonText(answer.text));
    if (!parsed.success)
      throw new ProviderApiError('vobiz', 'place_call', 'the answer has no request_uuid', {
        status: answer.status,
        detail: answer.text,
      });
    return { providerCallId: parsed.data.request_uuid };
  }

  /**
   * Hangs the call up (ringing or answered).
   *
   * @param providerCallId - The call's `CallUUID` (`placeCall`'s `providerCallId`).
   * @returns `ended` on 2xx (Vobiz answers 204), `already_ended` on 404.
   * @throws {@link ProviderApiError} on any other status or when Vobiz cannot be reached.
   * @throws The signal's `reason` when `signal` aborts first.
   */
  async hangUp(providerCallId: string, signal?: AbortSignal): Promise<HangupResult> {
    const url = `${this.callsUrl()}/${encodeURIComponent(providerCallId)}/`;
    const answer = await this.send('hang_up', 'DELETE', url, signal);
    if (answer.status >= 200 && answer.status < 300) return 'ended';
    if (answer.status === 404) return 'already_ended';
    throw answerError('hang_up', answer);
  }

  /**
   * Transfers the call's A leg (the party the stream carries) to the XML at
   * `request.instructionsUrl`, which must dial `request.to` (with `request.callerId`): Vobiz
   * takes no number in this request, only the URL it then fetches.
   *
   * @param providerCallId - The call's `CallUUID`.
   * @returns `transferred` on 2xx (Vobiz answers 202), `already_ended` on 404.
   * @throws TypeError when `request.instructionsUrl` is missing or not an absolute http(s) URL.
   * @throws {@link ProviderApiError} on any other status or when Vobiz cannot be reached.
   * @throws The signal's `reason` when `signal` aborts first.
   */
  async transfer(
    providerCallId: string,
    request: TransferRequest,
    signal?: AbortSignal,
  ): Promise<TransferResult> {
    if (request.instructionsUrl === undefined)
      throw new TypeError('a Vobiz transfer needs the instructionsUrl Vobiz fetches its XML from');
    parseAbsoluteUrl(request.instructionsUrl, 'instructionsUrl', ['https:', 'http:']);
    const body = { legs: 'aleg', aleg_url: request.instructionsUrl, aleg_method: 'POST' };
    const url = `${this.callsUrl()}/${encodeURIComponent(providerCallId)}/`;
    const answer = await this.send('transfer', 'POST', url, signal, JSON.stringify(body));
    if (answer.status >= 200 && answer.status < 300) return 'transferred';
    if (answer.status === 404) return 'already_ended';
    throw answerError('transfer', answer);
  }

  private callsUrl(): string {
    return `${this.base}/Account/${encodeURIComponent(this.authId)}/Call`;
  }

  private send(
    operation: ProviderApiOperation,
    method: 'POST' | 'DELETE',
    url: string,
    signal: AbortSignal | undefined,
    body?: string,
  ): Promise<ProviderAnswer> {
    const headers: Record<string, string> = {
      'X-Auth-ID': this.authId,
      'X-Auth-Token': this.authToken,
      Accept: 'application/json',
    };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    return sendProviderRequest({
      provider: 'vobiz',
      operation,
      method,
      url,
      headers,
      ...(body === undefined ? {} : { body }),
      timeoutMs: this.timeoutMs,
      signal,
    });
  }
}

/** The error for a non-2xx answer, with Vobiz's `error` text when it gave one. */
function answerError(operation: ProviderApiOperation, answer: ProviderAnswer): ProviderApiError {
  const parsed = errorAnswerSchema.safeParse(parseJsonText(answer.text));
  const said = parsed.success ? (parsed.data.error ?? parsed.data.message) : undefined;
  const detail = said === undefined ? answer.text : typeof said === 'string' ? said : JSON.stringify(said);
  return new ProviderApiError('vobiz', operation, `HTTP ${answer.status}`, { status: answer.status, detail });
}
