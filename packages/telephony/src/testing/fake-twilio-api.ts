import type { IncomingMessage, ServerResponse } from 'node:http';
import twilio from 'twilio';
import {
  type CallbackResponse,
  type FormBody,
  formField,
  hasBasicAuth,
  parseForm,
  postForm,
  randomHex,
  rfc2822Date,
  type ScriptedReply,
  sendJson,
} from './fake-http.ts';
import { FakeRestServer } from './fake-rest-server.ts';

/** The `CallStatus` values a fake Twilio call can be sent to, as Twilio spells them. */
export type FakeTwilioCallStatus =
  | 'initiated'
  | 'ringing'
  | 'in-progress'
  | 'completed'
  | 'busy'
  | 'failed'
  | 'no-answer'
  | 'canceled';

/** A call created on a {@link FakeTwilioApi}, with the parameters it was created with. */
export interface FakeTwilioCall {
  /** `CA` + 32 hex digits. */
  readonly sid: string;
  /** `To`: the number Twilio dials. */
  readonly to: string;
  /** `From`: the caller ID the callee sees. */
  readonly from: string;
  /** The voice webhook URL (`Url`), requested by {@link FakeTwilioApi.answer}. */
  readonly url: string | undefined;
  /** `Method` of `url` (Twilio's default POST). */
  readonly method: string;
  /** `StatusCallback`, requested by {@link FakeTwilioApi.sendStatus}. */
  readonly statusCallback: string | undefined;
  /** `StatusCallbackMethod` (Twilio's default POST). */
  readonly statusCallbackMethod: string;
  /** `StatusCallbackEvent` values (`completed` is sent even when not listed). */
  readonly statusCallbackEvents: readonly string[];
  /** `TimeLimit`, s, when given. */
  readonly timeLimitSecs: number | undefined;
  /** The call's current Twilio status (`queued` when created). */
  status: string;
  /** The TwiML of the last `Twiml` update (a transfer), when there was one. */
  twiml: string | undefined;
  /** Callbacks sent so far (their `SequenceNumber` counts from 0). */
  callbacksSent: number;
}

/** Options of {@link FakeTwilioApi.start}. */
export interface FakeTwilioApiOptions {
  /** The account SID the fake accepts; default `AC` + 32 zeros ending in 1. */
  readonly accountSid?: string;
  /** The auth token the fake accepts and signs callbacks with; default `test_auth_token`. */
  readonly authToken?: string;
}

const FINAL = new Set(['completed', 'busy', 'failed', 'no-answer', 'canceled']);
const CALLS = /^\/2010-04-01\/Accounts\/([^/]+)\/Calls\.json$/;
const CALL = /^\/2010-04-01\/Accounts\/([^/]+)\/Calls\/([^/]+)\.json$/;

/**
 * A fake Twilio REST API (the Call resource) on 127.0.0.1, speaking Twilio's wire protocol
 * closely enough for twilio-node (pass {@link url} as `TwilioCallControl`'s `apiBaseUrl`):
 *
 * - `POST /2010-04-01/Accounts/{AccountSid}/Calls.json` (form: `To`, `From`, `Url`, `Method`,
 *   `StatusCallback`, `StatusCallbackMethod`, `StatusCallbackEvent` repeated, `TimeLimit`, …)
 *   → 201 Call JSON, `sid` `CA` + 32 hex, `status` `queued`;
 * - `POST /2010-04-01/Accounts/{AccountSid}/Calls/{CallSid}.json` with `Status=completed` or
 *   `canceled` → 200 Call JSON; with `Twiml` (new instructions for an `in-progress` call, kept
 *   in the call's `twiml`) → 200, or 400 `{code: 21220}` when the call is not in progress;
 *   404 `{code: 20404}` for a call it does not know or that ended;
 * - `GET` of the same path → the Call JSON.
 *
 * Requests need HTTP Basic `AccountSid:AuthToken` (else 401 `{code: 20003}`). Every request is
 * recorded in {@link requests}. {@link answer} and {@link sendStatus} then play Twilio's side
 * of the call: the signed voice webhook and status callbacks.
 *
 * Source: https://www.twilio.com/docs/voice/api/call-resource.
 */
export class FakeTwilioApi extends FakeRestServer<FormBody, FakeTwilioCall> {
  /** The account SID the fake accepts. */
  readonly accountSid: string;
  /** The auth token the fake accepts and signs with. */
  readonly authToken: string;

  private constructor(options: FakeTwilioApiOptions) {
    super('fake Twilio');
    this.accountSid = options.accountSid ?? 'AC00000000000000000000000000000001';
    this.authToken = options.authToken ?? 'test_auth_token';
  }

  /** Starts the fake on a free port of 127.0.0.1. */
  static start(options: FakeTwilioApiOptions = {}): Promise<FakeTwilioApi> {
    return new FakeTwilioApi(options).listen();
  }

  /**
   * Plays the callee answering: POSTs the voice webhook to the call's `Url` as Twilio does
   * (form `CallSid`, `AccountSid`, `From`, `To`, `Direction=outbound-api`,
   * `CallStatus=in-progress`, `ApiVersion`, `Called`, `Caller`), signed with
   * `X-Twilio-Signature`, and marks the call `in-progress`.
   *
   * @returns The webhook's answer body (TwiML).
   * @throws Error when the call is unknown, has no `Url`, or the webhook answers non-2xx.
   */
  async answer(callSid: string): Promise<string> {
    const call = this.known(callSid);
    if (call.url === undefined) throw new Error(`fake Twilio: call ${callSid} has no Url`);
    call.status = 'in-progress';
    const response = await this.post(call.url, {
      AccountSid: this.accountSid,
      ApiVersion: '2010-04-01',
      CallSid: call.sid,
      CallStatus: 'in-progress',
      Called: call.to,
      Caller: call.from,
      Direction: 'outbound-api',
      From: call.from,
      To: call.to,
    });
    if (response.status < 200 || response.status >= 300)
      throw new Error(`fake Twilio: the voice webhook answered ${response.status}: ${response.body}`);
    return response.body;
  }

  /**
   * Plays a status change: POSTs Twilio's status callback to the call's `StatusCallback`
   * (form `CallSid`, `AccountSid`, `From`, `To`, `Direction=outbound-api`, `ApiVersion`,
   * `CallStatus`, `CallbackSource=call-progress-events`, `SequenceNumber`, `Timestamp`, and
   * `CallDuration` (s) on final statuses), signed with `X-Twilio-Signature`. Sets the call's
   * status; a final status ends it (a later hang-up gets 404).
   *
   * @param options.durationSecs - `CallDuration` of a final status; default 0.
   * @returns What our callback answered.
   * @throws Error when the call is unknown, has no `StatusCallback`, or did not subscribe to
   *   the event (`initiated`, `ringing`, `answered` for `in-progress`) that Twilio would need
   *   to send this status.
   */
  async sendStatus(
    callSid: string,
    status: FakeTwilioCallStatus,
    options: { durationSecs?: number } = {},
  ): Promise<CallbackResponse> {
    const call = this.known(callSid);
    if (call.statusCallback === undefined)
      throw new Error(`fake Twilio: call ${callSid} has no StatusCallback`);
    const final = FINAL.has(status);
    const event = final ? 'completed' : status === 'in-progress' ? 'answered' : status;
    if (!final && !call.statusCallbackEvents.includes(event))
      throw new Error(`fake Twilio: call ${callSid} did not subscribe to the ${event} event`);
    call.status = status;
    const form: Record<string, string> = {
      AccountSid: this.accountSid,
      ApiVersion: '2010-04-01',
      CallSid: call.sid,
      CallStatus: status,
      CallbackSource: 'call-progress-events',
      Called: call.to,
      Caller: call.from,
      Direction: 'outbound-api',
      From: call.from,
      SequenceNumber: String(call.callbacksSent++),
      Timestamp: rfc2822Date(new Date()),
      To: call.to,
    };
    if (final) form.CallDuration = String(options.durationSecs ?? 0);
    return this.post(call.statusCallback, form);
  }

  private post(url: string, form: Record<string, string>): Promise<CallbackResponse> {
    const signature = twilio.getExpectedTwilioSignature(this.authToken, url, form);
    return postForm(url, form, { 'x-twilio-signature': signature, 'user-agent': 'TwilioProxy/1.1' });
  }

  protected parseBody(text: string): FormBody {
    return parseForm(text);
  }

  protected authorized(request: IncomingMessage): boolean {
    return hasBasicAuth(request, this.accountSid, this.authToken);
  }

  protected sendUnauthorized(response: ServerResponse): void {
    response.setHeader('www-authenticate', 'Basic realm="Twilio API"');
    sendError(response, 401, 20003, 'Authenticate');
  }

  /** Twilio's error JSON, `{code, message, more_info, status}`; `code` defaults to 20000 + the status, e.g. 20500. */
  protected sendScripted(response: ServerResponse, status: number, reply: ScriptedReply): void {
    sendError(response, status, reply.code ?? 20000 + status, reply.message ?? 'Scripted error');
  }

  protected route(
    request: IncomingMessage,
    response: ServerResponse,
    pathname: string,
    body: FormBody | undefined,
  ): void {
    const list = CALLS.exec(pathname);
    if (list && list[1] === this.accountSid && request.method === 'POST') {
      this.create(response, body ?? {});
      return;
    }
    const one = CALL.exec(pathname);
    const call = one && one[1] === this.accountSid ? this.calls.get(one[2]!) : undefined;
    if (call !== undefined && request.method === 'GET') {
      sendJson(response, 200, this.callJson(call));
      return;
    }
    if (call !== undefined && request.method === 'POST' && !FINAL.has(call.status)) {
      this.update(response, call, body ?? {});
      return;
    }
    sendError(response, 404, 20404, `The requested resource ${pathname} was not found`);
  }

  private create(response: ServerResponse, form: FormBody): void {
    const to = formField(form, 'To');
    const from = formField(form, 'From');
    const url = formField(form, 'Url');
    if (!to) {
      sendError(response, 400, 21201, "No 'To' number is specified");
      return;
    }
    if (!from) {
      sendError(response, 400, 21213, "No 'From' number is specified");
      return;
    }
    if (!url && !formField(form, 'Twiml') && !formField(form, 'ApplicationSid')) {
      sendError(response, 400, 21205, 'Url parameter is required');
      return;
    }
    const events = form.StatusCallbackEvent;
    const timeLimit = formField(form, 'TimeLimit');
    const call: FakeTwilioCall = {
      sid: `CA${randomHex(16)}`,
      to,
      from,
      url,
      method: formField(form, 'Method') ?? 'POST',
      statusCallback: formField(form, 'StatusCallback'),
      statusCallbackMethod: formField(form, 'StatusCallbackMethod') ?? 'POST',
      statusCallbackEvents: events === undefined ? [] : Array.isArray(events) ? events : [events],
      timeLimitSecs: timeLimit === undefined ? undefined : Number(timeLimit),
      status: 'queued',
      callbacksSent: 0,
      twiml: undefined,
    };
    this.calls.set(call.sid, call);
    sendJson(response, 201, this.callJson(call));
  }

  private update(response: ServerResponse, call: FakeTwilioCall, form: FormBody): void {
    const twiml = formField(form, 'Twiml');
    if (twiml !== undefined) {
      if (call.status !== 'in-progress') {
        sendError(response, 400, 21220, 'Call is not in-progress. Cannot redirect.');
        return;
      }
      call.twiml = twiml;
      sendJson(response, 200, this.callJson(call));
      return;
    }
    const status = formField(form, 'Status');
    if (status !== 'completed' && status !== 'canceled') {
      sendError(response, 400, 21218, 'Invalid Status: use completed or canceled');
      return;
    }
    call.status = status === 'canceled' || call.status !== 'in-progress' ? 'canceled' : 'completed';
    sendJson(response, 200, this.callJson(call));
  }

  private callJson(call: FakeTwilioCall): Record<string, unknown> {
    const now = rfc2822Date(new Date());
    const uri = `/2010-04-01/Accounts/${this.accountSid}/Calls/${call.sid}.json`;
    return {
      sid: call.sid,
      account_sid: this.accountSid,
      to: call.to,
      to_formatted: call.to,
      from: call.from,
      from_formatted: call.from,
      status: call.status,
      direction: 'outbound-api',
      api_version: '2010-04-01',
      date_created: now,
      date_updated: now,
      start_time: null,
      end_time: null,
      duration: null,
      price: null,
      price_unit: 'USD',
      parent_call_sid: null,
      phone_number_sid: null,
      answered_by: null,
      caller_name: null,
      forwarded_from: null,
      group_sid: null,
      queue_time: '0',
      trunk_sid: null,
      annotation: null,
      uri,
      subresource_uris: { recordings: uri.replace('.json', '/Recordings.json') },
    };
  }
}

function sendError(response: ServerResponse, status: number, code: number, message: string): void {
  sendJson(response, status, {
    code,
    message,
    more_info: `https://www.twilio.com/docs/errors/${code}`,
    status,
  });
}
