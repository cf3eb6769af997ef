import twilio from 'twilio';
import type {
  CallControl,
  HangupResult,
  OutboundCallRequest,
  PlacedCall,
  TransferRequest,
  TransferResult,
} from '../call-control.ts';
import { ProviderApiError, type ProviderApiOperation } from '../errors.ts';
import { DEFAULT_REST_TIMEOUT_MS } from '../provider-rest.ts';
import { runTwilioRequest, type TwilioRequestContext, TwilioRestHttpClient } from './rest-http-client.ts';
import { dialTwiml } from './twiml.ts';

/** Twilio's error code for a resource it does not know (the call is gone). */
const TWILIO_NOT_FOUND = 20404;
/** Twilio's error code for an update the call's state does not allow (it already ended). */
const TWILIO_CALL_NOT_IN_PROGRESS = 21220;

/** Options of {@link TwilioCallControl}. */
export interface TwilioCallControlOptions {
  /** The account SID (`AC…`), the Basic user name and part of every path. */
  readonly accountSid: string;
  /** The account's auth token, the Basic password. */
  readonly authToken: string;
  /**
   * Origin (and optional path prefix) that replaces `https://api.twilio.com` in every request,
   * e.g. a fake's `url` in tests; default: Twilio's.
   */
  readonly apiBaseUrl?: string;
  /** Longest wait for one answer from Twilio, ms; default 15 000. */
  readonly requestTimeoutMs?: number;
}

/**
 * {@link CallControl} over Twilio's REST API through the official `twilio` SDK (twilio-node):
 *
 * - `placeCall`: `client.calls.create({to, from, url, method: 'POST', statusCallback,
 *   statusCallbackMethod: 'POST', statusCallbackEvent: ['initiated', 'ringing', 'answered',
 *   'completed'], timeLimit})`, i.e. `POST /2010-04-01/Accounts/{AccountSid}/Calls.json`. When
 *   the callee answers, Twilio POSTs the voice webhook to `answerUrl` (our server answers with
 *   `<Connect><Stream>` TwiML); status changes go to `statusCallbackUrl`, read with
 *   `parseTwilioStatusCallback`.
 * - `hangUp`: `client.calls(sid).update({status: 'completed'})`, i.e.
 *   `POST /2010-04-01/Accounts/{AccountSid}/Calls/{CallSid}.json` with `Status=completed`.
 * - `transfer`: `client.calls(sid).update({twiml})` with {@link dialTwiml}'s `<Dial>`, i.e. the
 *   same path with `Twiml=<Response><Dial …><Number>…</Number></Dial></Response>`: Twilio drops
 *   the call's current TwiML (our `<Connect><Stream>` ends, and with it the media stream) and
 *   runs the dial.
 *
 * Each request takes the caller's abort signal (passed to twilio-node's HTTP client).
 *
 * Sources: https://www.twilio.com/docs/voice/api/call-resource (create, update,
 * StatusCallbackEvent); https://www.twilio.com/docs/voice/tutorials/how-to-modify-calls-in-progress-node-js
 * (new TwiML for a live call); https://www.twilio.com/docs/api/errors/20404,
 * https://www.twilio.com/docs/api/errors/21220.
 */
export class TwilioCallControl implements CallControl {
  /** Always `twilio`. */
  readonly provider = 'twilio';
  private readonly client: twilio.Twilio;

  /**
   * @throws TypeError when `accountSid` or `authToken` is empty.
   * @throws Error (twilio-node's) when `accountSid` does not start with `AC`.
   */
  constructor(options: TwilioCallControlOptions) {
    if (options.accountSid === '' || options.authToken === '')
      throw new TypeError('Twilio account SID or auth token is empty');
    const httpClient = new TwilioRestHttpClient(
      options.apiBaseUrl,
      options.requestTimeoutMs ?? DEFAULT_REST_TIMEOUT_MS,
    );
    this.client = twilio(options.accountSid, options.authToken, { httpClient });
  }

  /**
   * Places the call. `timeLimitSecs` becomes `TimeLimit` (s).
   *
   * @returns The call's `CallSid` (`CA…`) as `providerCallId`.
   * @throws {@link ProviderApiError} when Twilio answers an error (its `code` as `providerCode`,
   *   e.g. 21211 for an invalid `To`; `retryable` on 5xx and 429), answers 2xx without a call
   *   SID, or cannot be reached in time (`retryable`).
   * @throws The signal's `reason` when `signal` aborts first.
   */
  async placeCall(request: OutboundCallRequest, signal?: AbortSignal): Promise<PlacedCall> {
    const context: TwilioRequestContext = { signal };
    const call = await this.run('place_call', context, () =>
      this.client.calls.create({
        to: request.to,
        from: request.from,
        url: request.answerUrl,
        method: 'POST',
        statusCallback: request.statusCallbackUrl,
        statusCallbackMethod: 'POST',
        statusCallbackEvent: ['initiated', 'ringing', 'answered', 'completed'],
        ...(request.timeLimitSecs === undefined ? {} : { timeLimit: request.timeLimitSecs }),
      }),
    );
    if (typeof call.sid !== 'string' || call.sid === '')
      throw new ProviderApiError('twilio', 'place_call', 'the answer has no call sid', {
        ...(context.status === undefined ? {} : { status: context.status }),
      });
    return { providerCallId: call.sid };
  }

  /**
   * Hangs the call up with `Status=completed`.
   *
   * @param providerCallId - The call's `CallSid`.
   * @returns `ended` when Twilio accepted the update; `already_ended` when Twilio answers 404 /
   *   code 20404 (no such call) or code 21220 (the call is no longer in progress).
   * @throws {@link ProviderApiError} on any other error answer or when Twilio cannot be reached.
   * @throws The signal's `reason` when `signal` aborts first.
   */
  async hangUp(providerCallId: string, signal?: AbortSignal): Promise<HangupResult> {
    try {
      await this.run('hang_up', { signal }, () =>
        this.client.calls(providerCallId).update({ status: 'completed' }),
      );
      return 'ended';
    } catch (error) {
      if (callIsGone(error)) return 'already_ended';
      throw error;
    }
  }

  /**
   * Transfers the call: its TwiML is replaced by a `<Dial>` of `request.to` (with
   * `request.callerId` as `callerId` when given); `instructionsUrl` is not used.
   *
   * @param providerCallId - The call's `CallSid`.
   * @returns `transferred` when Twilio accepted the update; `already_ended` when Twilio answers
   *   404 / code 20404 (no such call) or code 21220 (the call is no longer in progress).
   * @throws TypeError when `request.to` or `request.callerId` is not an E.164 number.
   * @throws {@link ProviderApiError} on any other error answer or when Twilio cannot be reached.
   * @throws The signal's `reason` when `signal` aborts first.
   */
  async transfer(
    providerCallId: string,
    request: TransferRequest,
    signal?: AbortSignal,
  ): Promise<TransferResult> {
    const twiml = dialTwiml({
      to: request.to,
      ...(request.callerId === undefined ? {} : { callerId: request.callerId }),
    });
    try {
      await this.run('transfer', { signal }, () => this.client.calls(providerCallId).update({ twiml }));
      return 'transferred';
    } catch (error) {
      if (callIsGone(error)) return 'already_ended';
      throw error;
    }
  }

  /** Runs twilio-node calls with the signal, turning its failures into {@link ProviderApiError}s. */
  private async run<T>(
    operation: ProviderApiOperation,
    context: TwilioRequestContext,
    send: () => Promise<T>,
  ): Promise<T> {
    context.signal?.throwIfAborted();
    try {
      return await runTwilioRequest(context, send);
    } catch (error) {
      if (context.signal?.aborted) throw context.signal.reason;
      throw apiError(operation, error, context.status);
    }
  }
}

/** Whether Twilio refused an update because the call is gone: 404, code 20404 or 21220. */
function callIsGone(error: unknown): boolean {
  return (
    error instanceof ProviderApiError &&
    (error.status === 404 ||
      error.providerCode === TWILIO_NOT_FOUND ||
      error.providerCode === TWILIO_CALL_NOT_IN_PROGRESS)
  );
}

/**
 * twilio-node's failure as a {@link ProviderApiError}: an error answer (`RestException` or
 * `TwilioServiceException`, both with `status` and `code`), no answer (an axios error without a
 * response), or an answer that is not JSON. Anything else (an SDK argument check) is returned
 * as is.
 */
function apiError(operation: ProviderApiOperation, error: unknown, status: number | undefined): unknown {
  if (!(error instanceof Error)) return error;
  const answered = 'status' in error && typeof error.status === 'number' ? error.status : undefined;
  const code = 'code' in error ? error.code : undefined;
  if (answered !== undefined) {
    return new ProviderApiError('twilio', operation, `HTTP ${answered}`, {
      status: answered,
      ...(typeof code === 'number' ? { providerCode: code } : {}),
      detail: error.message,
      cause: error,
    });
  }
  if ('isAxiosError' in error && error.isAxiosError === true) {
    const problem = typeof code === 'string' ? code : error.message;
    // Not kept as `cause`: an axios error holds the request config, Authorization header included.
    return new ProviderApiError('twilio', operation, `no answer (${problem})`);
  }
  if (error instanceof SyntaxError && status !== undefined) {
    return new ProviderApiError('twilio', operation, 'the answer is not JSON', { status, cause: error });
  }
  return error;
}
