import twilio from 'twilio';
import { parseAbsoluteUrl } from '../absolute-url.ts';
import { assertE164 } from '../phone-number.ts';
import { assertXmlChars } from '../xml-escape.ts';

/** Options of {@link connectStreamTwiml}. */
export interface ConnectStreamTwimlOptions {
  /**
   * Absolute `wss://` URL of our WebSocket (e.g. `wss://voice.example.com/ws/twilio/support-bot`).
   * Twilio does not allow a query string here: put data in {@link parameters}.
   */
  readonly url: string;
  /**
   * Custom parameters, one `<Parameter name value/>` each; they arrive in the `start` message's
   * `customParameters` (the serializer's `start` event).
   */
  readonly parameters?: Readonly<Record<string, string>>;
  /** Optional stream name, unique within the call (lets a REST request stop the stream by name). */
  readonly name?: string;
  /** Absolute `https://` URL Twilio POSTs stream status to (`stream-started`, `stream-stopped`, `stream-error`). */
  readonly statusCallback?: string;
  /** Method of {@link statusCallback}; Twilio's default is POST. */
  readonly statusCallbackMethod?: 'GET' | 'POST';
}

/**
 * TwiML that connects the call to a bidirectional Media Stream: `<Connect><Stream url>` with one
 * `<Parameter>` per custom parameter. `<Connect>` blocks until our server closes the WebSocket;
 * as nothing follows it, closing the socket ends the call.
 *
 * Built with twilio-node's `twiml.VoiceResponse`, which escapes attribute values. Output shape:
 * `<?xml version="1.0" encoding="UTF-8"?><Response><Connect><Stream url="wss://…"><Parameter name="agentId" value="support-bot"/></Stream></Connect></Response>`.
 *
 * Sources: https://www.twilio.com/docs/voice/twiml/stream (attributes; bidirectional with
 * `<Connect>`; no query string in `url`; custom parameters),
 * https://www.twilio.com/docs/voice/twiml/connect.
 *
 * @returns The TwiML document, to answer the voice webhook with `Content-Type: text/xml`.
 * @throws TypeError when `url` is not an absolute `wss://` URL without query or fragment, when
 *   `statusCallback` is not an absolute `https://` (or `http://`) URL without fragment, when a
 *   parameter name is empty, or when a value holds a character XML cannot carry (e.g. U+0000).
 */
export function connectStreamTwiml(options: ConnectStreamTwimlOptions): string {
  const { url, parameters = {}, name, statusCallback, statusCallbackMethod } = options;
  const parsed = parseAbsoluteUrl(url, 'Stream url', ['wss:']);
  if (parsed.search !== '' || url.includes('?')) {
    throw new TypeError('Stream url must not carry a query string; use parameters');
  }
  if (statusCallback !== undefined) parseAbsoluteUrl(statusCallback, 'statusCallback', ['https:', 'http:']);
  // xmlbuilder checks element text but writes attribute values unchecked, so a control character
  // in a parameter would produce TwiML that Twilio cannot parse (and the call would fail).
  for (const [key, value] of Object.entries(parameters)) {
    if (key === '') throw new TypeError('Stream parameter names must not be empty');
    assertXmlChars(key, `parameter name ${JSON.stringify(key)}`);
    assertXmlChars(value, `value of parameter ${JSON.stringify(key)}`);
  }
  if (name !== undefined) assertXmlChars(name, 'name');
  const response = new twilio.twiml.VoiceResponse();
  const stream = response.connect().stream({
    url,
    ...(name !== undefined && { name }),
    ...(statusCallback !== undefined && { statusCallback }),
    ...(statusCallbackMethod !== undefined && { statusCallbackMethod }),
  });
  for (const [key, value] of Object.entries(parameters)) stream.parameter({ name: key, value });
  return response.toString();
}

/**
 * TwiML that speaks `text` with Twilio's default voice, then hangs up: `<Say>text</Say><Hangup/>`.
 * For calls we cannot serve (unknown agent, server not ready).
 *
 * Sources: https://www.twilio.com/docs/voice/twiml/say, https://www.twilio.com/docs/voice/twiml/hangup.
 *
 * @param text - What to say; escaped as XML text.
 * @returns The TwiML document, to answer the voice webhook with `Content-Type: text/xml`.
 * @throws TypeError when `text` is empty or holds a character XML cannot carry.
 */
export function sayAndHangupTwiml(text: string): string {
  if (text.trim() === '') throw new TypeError('sayAndHangupTwiml needs something to say');
  assertXmlChars(text, 'text');
  const response = new twilio.twiml.VoiceResponse();
  response.say(text);
  response.hangup();
  return response.toString();
}

/** Options of {@link dialTwiml}. */
export interface DialTwimlOptions {
  /** The number to dial, E.164. */
  readonly to: string;
  /**
   * The caller ID the dialed number sees, E.164: a Twilio number of the account or a verified
   * one. Default (Twilio's): the call's own caller ID.
   */
  readonly callerId?: string;
}

/**
 * TwiML that dials `to` and bridges it to the party on the call:
 * `<Response><Dial callerId="…"><Number>+1…</Number></Dial></Response>`. Nothing follows the
 * `<Dial>`, so the call ends when either side hangs up (or when nobody answers). For
 * transferring a live call (the Call resource's `Twiml` update).
 *
 * Sources: https://www.twilio.com/docs/voice/twiml/dial (`callerId`),
 * https://www.twilio.com/docs/voice/twiml/number.
 *
 * @returns The TwiML document.
 * @throws TypeError when `to` or `callerId` is not an E.164 number.
 */
export function dialTwiml(options: DialTwimlOptions): string {
  const { to, callerId } = options;
  assertE164(to, 'to');
  if (callerId !== undefined) assertE164(callerId, 'callerId');
  const response = new twilio.twiml.VoiceResponse();
  response.dial(callerId === undefined ? {} : { callerId }).number(to);
  return response.toString();
}

/**
 * TwiML that refuses the call without answering it: `<Response><Reject/></Response>` (the
 * caller hears a busy signal; Twilio does not bill an unanswered call). For a webhook we will
 * not serve, e.g. one for a call that already has its media stream.
 *
 * Source: https://www.twilio.com/docs/voice/twiml/reject.
 *
 * @returns The TwiML document, to answer the voice webhook with `Content-Type: text/xml`.
 */
export function rejectTwiml(): string {
  const response = new twilio.twiml.VoiceResponse();
  response.reject();
  return response.toString();
}
