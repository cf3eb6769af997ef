import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  type CallbackResponse,
  type FormBody,
  formField,
  hasBasicAuth,
  parseForm,
  postForm,
  randomHex,
  type ScriptedReply,
  sendJson,
  sqlDate,
} from './fake-http.ts';
import { FakeRestServer } from './fake-rest-server.ts';

/**
 * The call states a fake Exotel call can be sent to, as Exotel spells `Status`: `ringing` and
 * `in-progress` are the `ringing` and `answered` events, the others are final (`terminal`).
 */
export type FakeExotelCallStatus = 'ringing' | 'in-progress' | 'completed' | 'failed' | 'busy' | 'no-answer';

/** A call created on a {@link FakeExotelApi}, with the parameters it was created with. */
export interface FakeExotelCall {
  /** `Call.Sid`: 32 hex digits. */
  readonly sid: string;
  /** `From`: the number Exotel dials. */
  readonly from: string;
  /** `CallerId`: the ExoPhone shown to the callee. */
  readonly callerId: string;
  /** `StreamUrl`: the `ws(s)://` URL Exotel would connect the answered call to. */
  readonly streamUrl: string;
  /** `StatusCallback`, requested by {@link FakeExotelApi.sendStatus}. */
  readonly statusCallback: string | undefined;
  /** `StatusCallbackEvents[…]` values (`answered`, `terminal`, `ringing`). */
  readonly statusCallbackEvents: readonly string[];
  /** `TimeLimit`, s, when given. */
  readonly timeLimitSecs: number | undefined;
  /** The call's current `Status`. */
  status: string;
  /** When the call was created. */
  readonly createdAt: Date;
}

/** Options of {@link FakeExotelApi.start}. */
export interface FakeExotelApiOptions {
  /** The account SID the fake accepts; default `fakeaccount1`. */
  readonly accountSid?: string;
  /** The API key (Basic user) the fake accepts; default `test_api_key`. */
  readonly apiKey?: string;
  /** The API token (Basic password) the fake accepts; default `test_api_token`. */
  readonly apiToken?: string;
}

const CONNECT = /^\/v1\/Accounts\/([^/]+)\/Calls\/connect\.json$/;
const EVENTS_KEY = /^StatusCallbackEvents(\[\d*\])?$/;
const FINAL = new Set(['completed', 'failed', 'busy', 'no-answer']);
const MAX_STREAM_URL_CHARS = 600;

/**
 * A fake Exotel Connect Voice AI API on 127.0.0.1, speaking Exotel's wire protocol (pass
 * {@link url} as `ExotelCallControl`'s `apiBaseUrl`):
 *
 * - `POST /v1/Accounts/{AccountSid}/Calls/connect.json` (form: `From`, `CallerId`,
 *   `StreamUrl` (`ws(s)://`, under 600 characters), `StreamType=bidirectional`, optional
 *   `StatusCallback`, `StatusCallbackEvents[n]`, `TimeLimit`, …) → 200
 *   `{Call: {Sid, Status: 'in-progress', …}}`; 400 `{RestException: {Status, Message}}` when
 *   invalid.
 *
 * Requests need HTTP Basic `apiKey:apiToken` (else 401). Every request is recorded in
 * {@link requests}. Exotel has no answer webhook (it connects the answered call straight to
 * the `StreamUrl`: read it with {@link streamUrl}) and no hang-up request; {@link sendStatus}
 * plays its status callbacks (unsigned: Exotel signs nothing).
 *
 * Sources: https://developer.exotel.com/docs/agentstream/developer-guide (Connect Voice AI),
 * https://developer.exotel.com/api/statuscallback.
 */
export class FakeExotelApi extends FakeRestServer<FormBody, FakeExotelCall> {
  /** The account SID the fake accepts. */
  readonly accountSid: string;
  /** The API key the fake accepts. */
  readonly apiKey: string;
  /** The API token the fake accepts. */
  readonly apiToken: string;

  private constructor(options: FakeExotelApiOptions) {
    super('fake Exotel');
    this.accountSid = options.accountSid ?? 'fakeaccount1';
    this.apiKey = options.apiKey ?? 'test_api_key';
    this.apiToken = options.apiToken ?? 'test_api_token';
  }

  /** Starts the fake on a free port of 127.0.0.1. */
  static start(options: FakeExotelApiOptions = {}): Promise<FakeExotelApi> {
    return new FakeExotelApi(options).listen();
  }

  /**
   * The `StreamUrl` the call was created with: where Exotel would open the call's WebSocket.
   *
   * @throws Error when the call is unknown.
   */
  streamUrl(callSid: string): string {
    return this.known(callSid).streamUrl;
  }

  /**
   * Plays a status change: POSTs Exotel's status callback (form-encoded) to the call's
   * `StatusCallback`. `ringing` and `in-progress` are sent as `EventType=ringing` /
   * `answered`, and only when the call subscribed to that event; a final status is sent as
   * `EventType=terminal` when subscribed (else as the basic callback, without `EventType`) and
   * ends the call. Fields: `CallSid`, `Status`, `EventType`, `From`, `To`, `PhoneNumberSid`,
   * `Direction=outbound-api`, `DateCreated`, `DateUpdated`, `StartTime`, `EndTime`,
   * `ConversationDuration` (s), `RecordingUrl`.
   *
   * @param options.durationSecs - `ConversationDuration` of a final status; default 0.
   * @returns What our callback answered.
   * @throws Error when the call is unknown, has no `StatusCallback`, or did not subscribe to
   *   the `ringing` / `answered` event asked for.
   */
  async sendStatus(
    callSid: string,
    status: FakeExotelCallStatus,
    options: { durationSecs?: number } = {},
  ): Promise<CallbackResponse> {
    const call = this.known(callSid);
    if (call.statusCallback === undefined)
      throw new Error(`fake Exotel: call ${callSid} has no StatusCallback`);
    const final = FINAL.has(status);
    const event = final ? 'terminal' : status === 'in-progress' ? 'answered' : 'ringing';
    const subscribed = call.statusCallbackEvents.includes(event);
    if (!final && !subscribed)
      throw new Error(`fake Exotel: call ${callSid} did not subscribe to the ${event} event`);
    call.status = status;
    const now = sqlDate(new Date());
    const form: Record<string, string> = {
      CallSid: call.sid,
      Status: status,
      RecordingUrl: '',
      DateUpdated: now,
    };
    if (subscribed) {
      Object.assign(form, {
        EventType: event,
        DateCreated: sqlDate(call.createdAt),
        From: call.from,
        To: call.callerId,
        PhoneNumberSid: call.callerId,
        Direction: 'outbound-api',
        StartTime: sqlDate(call.createdAt),
        EndTime: final ? now : '',
        ConversationDuration: String(final ? (options.durationSecs ?? 0) : 0),
      });
    }
    return postForm(call.statusCallback, form);
  }

  protected parseBody(text: string): FormBody {
    return parseForm(text);
  }

  protected authorized(request: IncomingMessage): boolean {
    return hasBasicAuth(request, this.apiKey, this.apiToken);
  }

  protected sendUnauthorized(response: ServerResponse): void {
    sendError(response, 401, 'Authentication is required to view this page.');
  }

  /** Exotel's error JSON, `{RestException: {Status, Message, Code}}`. */
  protected sendScripted(response: ServerResponse, status: number, reply: ScriptedReply): void {
    sendError(response, status, reply.message ?? 'Scripted error', reply.code);
  }

  protected route(
    request: IncomingMessage,
    response: ServerResponse,
    pathname: string,
    body: FormBody | undefined,
  ): void {
    const connect = CONNECT.exec(pathname);
    if (connect && connect[1] === this.accountSid && request.method === 'POST') {
      this.connect(response, body ?? {});
      return;
    }
    sendError(response, 404, 'The requested resource was not found');
  }

  private connect(response: ServerResponse, form: FormBody): void {
    const from = formField(form, 'From');
    const callerId = formField(form, 'CallerId');
    const streamUrl = formField(form, 'StreamUrl');
    if (!from || !callerId) {
      sendError(response, 400, 'From and CallerId are required');
      return;
    }
    if (!streamUrl || !/^wss?:\/\//.test(streamUrl) || streamUrl.length >= MAX_STREAM_URL_CHARS) {
      sendError(
        response,
        400,
        `StreamUrl must be a ws:// or wss:// URL under ${MAX_STREAM_URL_CHARS} characters`,
      );
      return;
    }
    if (formField(form, 'StreamType') !== 'bidirectional') {
      sendError(response, 400, 'StreamType must be bidirectional');
      return;
    }
    const events = Object.entries(form)
      .filter(([key]) => EVENTS_KEY.test(key))
      .flatMap(([, value]) => (Array.isArray(value) ? value : [value]));
    const timeLimit = formField(form, 'TimeLimit');
    const call: FakeExotelCall = {
      sid: randomHex(16),
      from,
      callerId,
      streamUrl,
      statusCallback: formField(form, 'StatusCallback'),
      statusCallbackEvents: events,
      timeLimitSecs: timeLimit === undefined ? undefined : Number(timeLimit),
      status: 'in-progress',
      createdAt: new Date(),
    };
    this.calls.set(call.sid, call);
    const created = sqlDate(call.createdAt);
    sendJson(response, 200, {
      Call: {
        Sid: call.sid,
        ParentCallSid: null,
        DateCreated: created,
        DateUpdated: created,
        AccountSid: this.accountSid,
        To: callerId,
        From: from,
        PhoneNumberSid: callerId,
        Status: call.status,
        StartTime: created,
        EndTime: null,
        Duration: null,
        Price: null,
        Direction: 'outbound-api',
        AnsweredBy: null,
        ForwardedFrom: null,
        CallerName: null,
        Uri: `/v1/Accounts/${this.accountSid}/Calls/${call.sid}.json`,
        RecordingUrl: null,
      },
    });
  }
}

function sendError(response: ServerResponse, status: number, message: string, code?: number): void {
  sendJson(response, status, {
    RestException: { Status: status, Message: message, ...(code === undefined ? {} : { Code: code }) },
  });
}
