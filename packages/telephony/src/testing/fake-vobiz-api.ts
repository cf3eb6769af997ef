import { createHmac, randomInt, randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { parseJsonText } from '../provider-rest.ts';
import {
  type CallbackResponse,
  headerValue,
  postForm,
  type ScriptedReply,
  sendJson,
  sendText,
} from './fake-http.ts';
import { FakeRestServer } from './fake-rest-server.ts';

/**
 * The call states a fake Vobiz call can be sent to, as Vobiz (Plivo) spells `CallStatus`:
 * `ringing` goes to the call's `ring_url`, the others (final) to its `hangup_url`.
 */
export type FakeVobizCallStatus = 'ringing' | 'completed' | 'busy' | 'failed' | 'no-answer' | 'cancel';

/** A call created on a {@link FakeVobizApi}, with the parameters it was created with. */
export interface FakeVobizCall {
  /** The `request_uuid` returned, also the call's `CallUUID` in callbacks. */
  readonly uuid: string;
  /** `to`: the number Vobiz dials. */
  readonly to: string;
  /** `from`: the caller ID the callee sees. */
  readonly from: string;
  /** `answer_url`, requested by {@link FakeVobizApi.answer}. */
  readonly answerUrl: string;
  /** `answer_method` of `answerUrl` (default POST). */
  readonly answerMethod: string;
  /** `hangup_url`, requested by {@link FakeVobizApi.sendStatus} with final statuses. */
  readonly hangupUrl: string | undefined;
  /** `ring_url`, requested by {@link FakeVobizApi.sendStatus} with `ringing`. */
  readonly ringUrl: string | undefined;
  /** `time_limit`, s, when given. */
  readonly timeLimitSecs: number | undefined;
  /** The call's state: `queued`, `ringing`, `in-progress`, or a final `CallStatus`. */
  status: string;
  /** The `aleg_url` of the last transfer, fetched by {@link FakeVobizApi.followTransfer}. */
  transferUrl: string | undefined;
}

/** Options of {@link FakeVobizApi.start}. */
export interface FakeVobizApiOptions {
  /** The Auth ID the fake accepts; default `MA_FAKE0001`. */
  readonly authId?: string;
  /** The Auth Token the fake accepts and signs callbacks with; default `test_auth_token`. */
  readonly authToken?: string;
}

const CALLS = /^\/api\/v1\/Account\/([^/]+)\/Call\/$/;
const CALL = /^\/api\/v1\/Account\/([^/]+)\/Call\/([^/]+)\/$/;
const FINAL = new Set(['completed', 'busy', 'failed', 'no-answer', 'cancel']);
const HANGUP_CAUSES: Readonly<Record<string, string>> = {
  completed: 'NORMAL_CLEARING',
  busy: 'USER_BUSY',
  failed: 'CALL_REJECTED',
  'no-answer': 'NO_ANSWER',
  cancel: 'ORIGINATOR_CANCEL',
};

/**
 * A fake Vobiz REST API (calls) on 127.0.0.1, speaking Vobiz's wire protocol (pass {@link url}
 * as `VobizCallControl`'s `apiBaseUrl`):
 *
 * - `POST /api/v1/Account/{authId}/Call/` (JSON: `from`, `to`, `answer_url` required;
 *   `answer_method`, `hangup_url`, `ring_url`, `time_limit`, … ) → 201
 *   `{api_id, message: 'Call fired', request_uuid}`; 400 `{api_id, error}` when invalid;
 * - `DELETE /api/v1/Account/{authId}/Call/{uuid}/` → 204; 404 `{api_id, error: 'not found'}`
 *   for a call it does not know or that ended;
 * - `POST /api/v1/Account/{authId}/Call/{uuid}/` (JSON `legs` `aleg`, `aleg_url`,
 *   `aleg_method`: a transfer of an `in-progress` call) → 202 `{api_id, message: 'call
 *   transferred', call_uuid}`; 400 without `aleg_url` or with other `legs`; 404 when the call is
 *   unknown, not answered yet or ended. {@link followTransfer} then fetches the `aleg_url`.
 *
 * Paths are matched exactly, trailing slash included (Vobiz's are). Requests need headers
 * `X-Auth-ID` / `X-Auth-Token` (else 401). Every request is recorded in {@link requests}, the
 * body parsed as JSON. {@link answer} and {@link sendStatus} then play Vobiz's side of the call,
 * signed with `X-Vobiz-Signature-V3` and `-V2` (and their nonces).
 *
 * Sources: https://docs.vobiz.ai/call/make-call, https://docs.vobiz.ai/xml/request,
 * https://docs.vobiz.ai/call/transfer-call, https://docs.vobiz.ai/concepts/validating-callbacks.
 */
export class FakeVobizApi extends FakeRestServer<unknown, FakeVobizCall> {
  /** The Auth ID the fake accepts. */
  readonly authId: string;
  /** The Auth Token the fake accepts and signs with. */
  readonly authToken: string;

  private constructor(options: FakeVobizApiOptions) {
    super('fake Vobiz');
    this.authId = options.authId ?? 'MA_FAKE0001';
    this.authToken = options.authToken ?? 'test_auth_token';
  }

  /** Starts the fake on a free port of 127.0.0.1. */
  static start(options: FakeVobizApiOptions = {}): Promise<FakeVobizApi> {
    return new FakeVobizApi(options).listen();
  }

  /** The API base, `http://127.0.0.1:<port>/api/v1`: `VobizCallControl`'s `apiBaseUrl`. */
  override get url(): string {
    return `${this.origin}/api/v1`;
  }

  /**
   * Plays the callee answering: POSTs the call's `answer_url` as Vobiz does (form `CallUUID`,
   * `RequestUUID`, `From`, `To`, `Direction=outbound`, `CallStatus=in-progress`,
   * `Event=StartApp`), signed, and marks the call `in-progress`.
   *
   * @returns The answer body (XML).
   * @throws Error when the call is unknown or the answer URL answers non-2xx.
   */
  async answer(uuid: string): Promise<string> {
    const call = this.known(uuid);
    call.status = 'in-progress';
    const response = await this.post(call.answerUrl, {
      CallUUID: call.uuid,
      RequestUUID: call.uuid,
      From: call.from,
      To: call.to,
      Direction: 'outbound',
      CallStatus: 'in-progress',
      Event: 'StartApp',
    });
    if (response.status < 200 || response.status >= 300)
      throw new Error(`fake Vobiz: answer_url answered ${response.status}: ${response.body}`);
    return response.body;
  }

  /**
   * Plays Vobiz acting on the call's last transfer: POSTs its `aleg_url`, signed, with the
   * call's parameters (`CallUUID`, `RequestUUID`, `From`, `To`, `Direction=outbound`,
   * `CallStatus=in-progress`).
   *
   * @returns What our URL answered (the XML Vobiz would run).
   * @throws Error when the call is unknown or was not transferred.
   */
  async followTransfer(uuid: string): Promise<CallbackResponse> {
    const call = this.known(uuid);
    if (call.transferUrl === undefined) throw new Error(`fake Vobiz: call ${uuid} was not transferred`);
    return this.post(call.transferUrl, {
      CallUUID: call.uuid,
      RequestUUID: call.uuid,
      From: call.from,
      To: call.to,
      Direction: 'outbound',
      CallStatus: 'in-progress',
    });
  }

  /**
   * Plays a status change, signed: `ringing` POSTs `Event=Ring` to the call's `ring_url`; a
   * final status POSTs `Event=Hangup` to its `hangup_url` with `CallStatus`, `Duration` and
   * `BillDuration` (s) and `HangupCause` (`NORMAL_CLEARING`, `USER_BUSY`, `CALL_REJECTED`,
   * `NO_ANSWER`, `ORIGINATOR_CANCEL` by status), and ends the call (a later hang-up gets 404).
   * Both carry `CallUUID`, `RequestUUID`, `From`, `To`, `Direction=outbound`.
   *
   * @param options.durationSecs - `Duration` of a final status; default 0.
   * @returns What our callback answered.
   * @throws Error when the call is unknown or has no URL for this status.
   */
  async sendStatus(
    uuid: string,
    status: FakeVobizCallStatus,
    options: { durationSecs?: number } = {},
  ): Promise<CallbackResponse> {
    const call = this.known(uuid);
    const final = FINAL.has(status);
    const url = final ? call.hangupUrl : call.ringUrl;
    if (url === undefined)
      throw new Error(`fake Vobiz: call ${uuid} has no ${final ? 'hangup_url' : 'ring_url'}`);
    call.status = status;
    const form: Record<string, string> = {
      CallUUID: call.uuid,
      RequestUUID: call.uuid,
      From: call.from,
      To: call.to,
      Direction: 'outbound',
      CallStatus: status,
      Event: final ? 'Hangup' : 'Ring',
    };
    if (final) {
      const duration = String(options.durationSecs ?? 0);
      form.Duration = duration;
      form.BillDuration = duration;
      form.HangupCause = HANGUP_CAUSES[status] ?? 'NORMAL_CLEARING';
    }
    return this.post(url, form);
  }

  private post(url: string, form: Record<string, string>): Promise<CallbackResponse> {
    const base = url.replace(/[?#].*$/s, '');
    const nonce = String(randomInt(10 ** 9, 10 ** 10 - 1)) + String(randomInt(10 ** 9, 10 ** 10 - 1));
    const sign = (message: string) => createHmac('sha256', this.authToken).update(message).digest('base64');
    return postForm(url, form, {
      'x-vobiz-signature-v3': sign(`${base}.${nonce}`),
      'x-vobiz-signature-v3-nonce': nonce,
      'x-vobiz-signature-v2': sign(`${base}${nonce}`),
      'x-vobiz-signature-v2-nonce': nonce,
    });
  }

  /** The parsed JSON; `undefined` when malformed (a create then answers 400). */
  protected parseBody(text: string): unknown {
    return parseJsonText(text);
  }

  protected authorized(request: IncomingMessage): boolean {
    return (
      headerValue(request, 'x-auth-id') === this.authId &&
      headerValue(request, 'x-auth-token') === this.authToken
    );
  }

  protected sendUnauthorized(response: ServerResponse): void {
    sendError(response, 401, 'authentication failed');
  }

  /** Vobiz's error JSON, `{api_id, error}`. */
  protected sendScripted(response: ServerResponse, status: number, reply: ScriptedReply): void {
    sendError(response, status, reply.message ?? 'scripted error');
  }

  protected route(request: IncomingMessage, response: ServerResponse, pathname: string, body: unknown): void {
    const list = CALLS.exec(pathname);
    if (list && list[1] === this.authId && request.method === 'POST') {
      if (typeof body !== 'object' || body === null || Array.isArray(body)) {
        sendError(response, 400, 'request body is not a JSON object');
        return;
      }
      this.create(response, body as Record<string, unknown>);
      return;
    }
    const one = CALL.exec(pathname);
    const call = one && one[1] === this.authId ? this.calls.get(one[2]!) : undefined;
    if (call !== undefined && request.method === 'DELETE' && !FINAL.has(call.status)) {
      call.status = call.status === 'in-progress' ? 'completed' : 'cancel';
      sendText(response, 204);
      return;
    }
    if (call !== undefined && request.method === 'POST' && call.status === 'in-progress') {
      this.transfer(response, call, body);
      return;
    }
    sendError(response, 404, 'not found');
  }

  private transfer(response: ServerResponse, call: FakeVobizCall, body: unknown): void {
    const fields = typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : {};
    const legs = fields.legs ?? 'aleg';
    if (legs !== 'aleg' || typeof fields.aleg_url !== 'string' || fields.aleg_url === '') {
      sendError(response, 400, 'aleg_url is required to transfer the aleg');
      return;
    }
    call.transferUrl = fields.aleg_url;
    sendJson(response, 202, { api_id: randomUUID(), message: 'call transferred', call_uuid: call.uuid });
  }

  private create(response: ServerResponse, body: Record<string, unknown>): void {
    const text = (key: string): string | undefined => {
      const value = body[key];
      return typeof value === 'string' ? value : undefined;
    };
    const from = text('from');
    const to = text('to');
    const answerUrl = text('answer_url');
    if (!from || !to || !answerUrl) {
      sendError(response, 400, 'from, to and answer_url are required');
      return;
    }
    const timeLimit = body.time_limit;
    const call: FakeVobizCall = {
      uuid: randomUUID(),
      to,
      from,
      answerUrl,
      answerMethod: text('answer_method') ?? 'POST',
      hangupUrl: text('hangup_url'),
      ringUrl: text('ring_url'),
      timeLimitSecs: typeof timeLimit === 'number' ? timeLimit : undefined,
      status: 'queued',
      transferUrl: undefined,
    };
    this.calls.set(call.uuid, call);
    sendJson(response, 201, { api_id: randomUUID(), message: 'Call fired', request_uuid: call.uuid });
  }
}

function sendError(response: ServerResponse, status: number, error: string): void {
  sendJson(response, status, { api_id: randomUUID(), error });
}
