import { parseAbsoluteUrl } from '../absolute-url.ts';
import { assertE164 } from '../phone-number.ts';
import { escapeXml } from '../xml-escape.ts';
import { VOBIZ_CONTENT_TYPES, VOBIZ_DEFAULT_CONTENT_TYPE, type VobizContentType } from './content-type.ts';

const XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>';
/** `extraHeaders` names and values: letters and digits only. */
const EXTRA_HEADER_TEXT = /^[A-Za-z0-9]+$/;
/** Longest `extraHeaders` attribute, bytes. */
const MAX_EXTRA_HEADERS_BYTES = 512;
const MAX_RETRIES = 10;

/** Options of {@link vobizStreamXml}. */
export interface VobizStreamXmlOptions {
  /**
   * Absolute `wss://` URL of our WebSocket (`ws://` only for local tests), e.g.
   * `wss://voice.example.com/ws/vobiz/support-bot`; the element's text. Path segments are the
   * safe place for per-call data (query strings are not documented to reach us).
   */
  readonly url: string;
  /**
   * The audio format, default `audio/x-mulaw;rate=8000` (always written: Vobiz's own default
   * is `audio/x-l16;rate=8000`). Give the same value to the `VobizSerializer`.
   */
  readonly contentType?: VobizContentType;
  /**
   * Keep the call up while the stream lasts (default `true`): without it a `<Stream>` with
   * nothing after it hangs up at once.
   */
  readonly keepCallAlive?: boolean;
  /**
   * Custom parameters, sent as `extraHeaders="k=v,k2=v2"` and delivered in the `start` message's
   * `extra_headers` (the serializer's `customParameters`). Names and values: letters and digits
   * only; at most 512 bytes in all.
   */
  readonly extraHeaders?: Readonly<Record<string, string>>;
  /** Absolute `https://` (or `http://`) URL Vobiz sends `StartStream`/`PlayedStream`/`StopStream` to. */
  readonly statusCallbackUrl?: string;
  /** Method of {@link statusCallbackUrl}; Vobiz's default is POST. */
  readonly statusCallbackMethod?: 'GET' | 'POST';
  /** Longest the stream may last, s (a positive integer); Vobiz's default is 86400. */
  readonly streamTimeoutSecs?: number;
  /** How often Vobiz retries a failed or dropped WebSocket, 0 to 10; Vobiz's default is 0. */
  readonly maxRetries?: number;
}

/**
 * VobizXML that connects the call to a bidirectional audio stream:
 * `<Response><Stream bidirectional="true" keepCallAlive="true" contentType="…" …>wss://…</Stream></Response>`.
 * `audioTrack` is left out (it must be `inbound`, the default, when bidirectional, or the call
 * ends). Values are XML-escaped.
 *
 * Sources: https://docs.vobiz.ai/xml/stream (attributes, `contentType` values, `extraHeaders`
 * rules, `keepCallAlive`), https://docs.vobiz.ai/xml/response, and
 * https://github.com/vobiz-ai/Agent-Skills `skills/vobiz-audio-streams/SKILL.md` (`maxRetries`).
 *
 * @returns The document, to answer the `answer_url` request with `Content-Type: application/xml`.
 * @throws TypeError when `url` is not an absolute ws(s) URL without fragment, or holds
 *   whitespace; `statusCallbackUrl` is not http(s); `contentType` is not a Vobiz content type;
 *   an `extraHeaders` name or value is empty or not alphanumeric, or all of them exceed 512
 *   bytes; `streamTimeoutSecs` is not a positive integer; `maxRetries` is not an integer 0–10.
 */
export function vobizStreamXml(options: VobizStreamXmlOptions): string {
  const {
    url,
    contentType = VOBIZ_DEFAULT_CONTENT_TYPE,
    keepCallAlive = true,
    extraHeaders,
    statusCallbackUrl,
    statusCallbackMethod,
    streamTimeoutSecs,
    maxRetries,
  } = options;
  parseAbsoluteUrl(url, 'url', ['wss:', 'ws:']);
  if (!VOBIZ_CONTENT_TYPES.includes(contentType))
    throw new TypeError(`${JSON.stringify(contentType)} is not a Vobiz contentType`);
  const attributes: Array<[string, string]> = [
    ['bidirectional', 'true'],
    ['keepCallAlive', String(keepCallAlive)],
    ['contentType', contentType],
  ];
  if (streamTimeoutSecs !== undefined) {
    if (!Number.isSafeInteger(streamTimeoutSecs) || streamTimeoutSecs <= 0) {
      throw new TypeError('streamTimeoutSecs must be a positive integer');
    }
    attributes.push(['streamTimeout', String(streamTimeoutSecs)]);
  }
  if (statusCallbackUrl !== undefined) {
    parseAbsoluteUrl(statusCallbackUrl, 'statusCallbackUrl', ['https:', 'http:']);
    attributes.push(['statusCallbackUrl', statusCallbackUrl]);
  }
  if (statusCallbackMethod !== undefined) attributes.push(['statusCallbackMethod', statusCallbackMethod]);
  if (extraHeaders !== undefined && Object.keys(extraHeaders).length > 0) {
    attributes.push(['extraHeaders', extraHeadersText(extraHeaders)]);
  }
  if (maxRetries !== undefined) {
    if (!Number.isInteger(maxRetries) || maxRetries < 0 || maxRetries > MAX_RETRIES) {
      throw new TypeError('maxRetries must be an integer from 0 to 10');
    }
    attributes.push(['maxRetries', String(maxRetries)]);
  }
  const attributeText = attributes.map(([name, value]) => ` ${name}="${escapeXml(value, name)}"`).join('');
  return `${XML_DECLARATION}<Response><Stream${attributeText}>${escapeXml(url, 'url')}</Stream></Response>`;
}

/**
 * VobizXML that speaks `text` with Vobiz's default voice, then hangs up:
 * `<Response><Speak>text</Speak><Hangup/></Response>`. For calls we cannot serve (unknown
 * agent, server not ready).
 *
 * Source: https://docs.vobiz.ai/xml/response (`<Speak>`, `<Hangup>`).
 *
 * @param text - What to say; XML-escaped.
 * @returns The document, to answer with `Content-Type: application/xml`.
 * @throws TypeError when `text` is blank or holds a character XML cannot carry.
 */
export function vobizSpeakAndHangupXml(text: string): string {
  if (text.trim() === '') throw new TypeError('vobizSpeakAndHangupXml needs something to say');
  return `${XML_DECLARATION}<Response><Speak>${escapeXml(text, 'text')}</Speak><Hangup/></Response>`;
}

/**
 * VobizXML that hangs up at once, saying nothing: `<Response><Hangup/></Response>`. For a
 * webhook we will not serve, e.g. one for a call that already has its media stream.
 *
 * Source: https://docs.vobiz.ai/xml/response (`<Hangup>`).
 *
 * @returns The document, to answer with `Content-Type: application/xml`.
 */
export function vobizHangupXml(): string {
  return `${XML_DECLARATION}<Response><Hangup/></Response>`;
}

/** Options of {@link vobizDialXml}. */
export interface VobizDialXmlOptions {
  /** The number to dial, E.164. */
  readonly to: string;
  /** The caller ID the dialed number sees, E.164 (a number of the account). Default (Vobiz's): the caller's number. */
  readonly callerId?: string;
}

/**
 * VobizXML that dials `to` and bridges it to the party on the call:
 * `<Response><Dial callerId="…"><Number>+91…</Number></Dial></Response>`. Nothing follows the
 * `<Dial>`, so the call ends when either side hangs up (or nobody answers). The answer to the
 * `aleg_url` of a transfer.
 *
 * Sources: https://docs.vobiz.ai/xml/dial (`callerId`), https://docs.vobiz.ai/xml/dial/number,
 * https://docs.vobiz.ai/call/transfer-call (its example XML).
 *
 * @returns The document, to answer with `Content-Type: application/xml`.
 * @throws TypeError when `to` or `callerId` is not an E.164 number.
 */
export function vobizDialXml(options: VobizDialXmlOptions): string {
  const { to, callerId } = options;
  assertE164(to, 'to');
  if (callerId !== undefined) assertE164(callerId, 'callerId');
  const attribute = callerId === undefined ? '' : ` callerId="${callerId}"`;
  return `${XML_DECLARATION}<Response><Dial${attribute}><Number>${to}</Number></Dial></Response>`;
}

/** `k=v,k2=v2`, checked against Vobiz's rules. */
function extraHeadersText(headers: Readonly<Record<string, string>>): string {
  const pairs: string[] = [];
  for (const [key, value] of Object.entries(headers)) {
    if (!EXTRA_HEADER_TEXT.test(key) || !EXTRA_HEADER_TEXT.test(value)) {
      throw new TypeError(
        `extraHeaders ${JSON.stringify(key)}: names and values must be letters and digits only`,
      );
    }
    pairs.push(`${key}=${value}`);
  }
  const text = pairs.join(',');
  if (text.length > MAX_EXTRA_HEADERS_BYTES) {
    throw new TypeError(`extraHeaders are ${text.length} bytes, over Vobiz's ${MAX_EXTRA_HEADERS_BYTES}`);
  }
  return text;
}
