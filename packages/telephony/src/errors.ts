import type { ProviderName, TransportName } from './types.ts';

/**
 * Why a provider message was refused (inbound) or could not be produced (outbound).
 *
 * - `message_too_large`: the text message is longer than any valid message of the protocol.
 * - `message_too_deep`: the text nests arrays and objects deeper than any valid message.
 * - `malformed_json`: the text is not JSON.
 * - `invalid_message`: JSON, but not an object with the fields the event needs.
 * - `invalid_audio`: an audio payload that is not valid base64, is empty, is over 1 s long, or
 *   (16-bit PCM) has an odd number of bytes; outbound, an empty PCM chunk, or one whose size
 *   the provider does not accept (Exotel: a multiple of 320 bytes, 3200 bytes to 100 KiB).
 * - `media_before_start`: audio arrived before the `start` message that identifies the stream
 *   (Twilio, Exotel; Vobiz may legitimately do this, and its serializer accepts it).
 * - `duplicate_start`: a second `start` on the same stream (Vobiz: a `start` for another call).
 * - `stream_mismatch`: a message names a stream other than the one `start` announced.
 * - `unsupported_encoding`: the stream's audio format is not one this serializer decodes (or,
 *   on Vobiz, a repeated `start` changes it).
 * - `unsupported_sample_rate`: outbound PCM at a rate other than the wire rate.
 * - `not_started`: an outbound message was requested before `start` (its stream id is unknown).
 * - `invalid_callback`: an HTTP callback from the provider (a call status callback) is not an
 *   object of form fields, lacks the call id, or has a field of the wrong shape.
 */
export type ProviderProtocolErrorCode =
  | 'message_too_large'
  | 'message_too_deep'
  | 'malformed_json'
  | 'invalid_message'
  | 'invalid_audio'
  | 'media_before_start'
  | 'duplicate_start'
  | 'stream_mismatch'
  | 'unsupported_encoding'
  | 'unsupported_sample_rate'
  | 'not_started'
  | 'invalid_callback';

/** Longest excerpt of an offending message kept on an error, characters. */
export const MAX_EXCERPT_CHARS = 200;

/**
 * A provider spoke its WebSocket protocol (or sent an HTTP callback) in a way we cannot accept,
 * or we were asked to say something the protocol cannot carry. `message` never contains payload text; the offending
 * message is kept only as a short, log-safe {@link excerpt}.
 */
export class ProviderProtocolError extends Error {
  override readonly name = 'ProviderProtocolError';
  /** What went wrong, for the caller to act on (skip the message, end the call, …). */
  readonly code: ProviderProtocolErrorCode;
  /** The provider (or the browser) whose protocol was broken. */
  readonly provider: TransportName;
  /**
   * At most {@link MAX_EXCERPT_CHARS} characters from the start of the offending message, with
   * control characters replaced and long base64 runs (audio) elided; `undefined` for outbound
   * errors.
   */
  readonly excerpt: string | undefined;

  /**
   * @param provider - The provider whose protocol this is.
   * @param code - See {@link ProviderProtocolErrorCode}.
   * @param message - A description without payload text.
   * @param offending - The raw message, of which only a safe excerpt is kept.
   */
  constructor(provider: TransportName, code: ProviderProtocolErrorCode, message: string, offending?: string) {
    super(message);
    this.provider = provider;
    this.code = code;
    this.excerpt = offending === undefined ? undefined : safeExcerpt(offending);
  }
}

/** Why a request's signature was refused. */
export type SignatureFailure = 'missing' | 'mismatch';

/**
 * A webhook or WebSocket upgrade request did not carry a valid provider signature: answer
 * 403 and do not process it.
 */
export class SignatureError extends Error {
  override readonly name = 'SignatureError';
  /** The provider whose signature scheme was checked. */
  readonly provider: ProviderName;
  /** `missing`: no signature header; `mismatch`: a signature that does not match. */
  readonly reason: SignatureFailure;
  /** The URL the signature was checked against (it decides the result; log it). */
  readonly url: string;

  /**
   * @param provider - The provider whose signature scheme was checked.
   * @param reason - `missing` (no signature header) or `mismatch`.
   * @param url - The URL the signature was checked against; it is part of the message.
   */
  constructor(provider: ProviderName, reason: SignatureFailure, url: string) {
    super(
      `${provider} request signature ${reason === 'missing' ? 'is missing' : 'does not match'} for ${url}`,
    );
    this.provider = provider;
    this.reason = reason;
    this.url = url;
  }
}

/** The provider REST request that failed. */
export type ProviderApiOperation = 'place_call' | 'hang_up' | 'transfer';

/**
 * A request to a provider's REST API (placing a call, hanging one up, transferring one) failed: the provider
 * answered with an error status, answered something we cannot read, or did not answer at all
 * (connection refused, reset, timed out). Aborts are not reported this way: an aborted request
 * rejects with the signal's `reason`.
 */
export class ProviderApiError extends Error {
  override readonly name = 'ProviderApiError';
  /** The provider whose API was called. */
  readonly provider: ProviderName;
  /** Which request failed. */
  readonly operation: ProviderApiOperation;
  /**
   * The HTTP status of the provider's answer; `undefined` when no answer came (network error or
   * timeout). A 2xx status means the answer could not be read (e.g. no call id in it).
   */
  readonly status: number | undefined;
  /**
   * The provider's own error code when its answer carries one (Twilio `code`, e.g. `21211`;
   * Exotel `RestException.Code`); Vobiz answers carry none.
   */
  readonly providerCode: number | undefined;
  /**
   * Whether the same request may succeed if sent again later: `true` when no answer came, on
   * 5xx and on 429 (rate limited); `false` on other 4xx and on unreadable 2xx answers. Beware:
   * a `place_call` that timed out may have reached the provider, so retrying it may dial twice.
   */
  readonly retryable: boolean;

  /**
   * @param provider - The provider whose API was called.
   * @param operation - The request that failed.
   * @param problem - What went wrong, without credentials (e.g. `HTTP 500`, `connection refused`).
   * @param options - `status` and `providerCode` as above; `detail`, the provider's error text
   *   (only a log-safe excerpt of at most {@link MAX_EXCERPT_CHARS} characters is kept in
   *   `message`); `cause`, the underlying error (never one that holds the request's
   *   credentials).
   */
  constructor(
    provider: ProviderName,
    operation: ProviderApiOperation,
    problem: string,
    options: { status?: number; providerCode?: number; detail?: string; cause?: unknown } = {},
  ) {
    const detail =
      options.detail === undefined || options.detail === '' ? '' : `: ${safeExcerpt(options.detail)}`;
    super(
      `${provider} ${operation.replace('_', ' ')} failed: ${problem}${detail}`,
      options.cause === undefined ? undefined : { cause: options.cause },
    );
    this.provider = provider;
    this.operation = operation;
    this.status = options.status;
    this.providerCode = options.providerCode;
    this.retryable = this.status === undefined || this.status >= 500 || this.status === 429;
  }
}

// Only the head of a message is looked at, so a huge message costs no more than a small one.
const EXCERPT_SCAN_CHARS = 4 * MAX_EXCERPT_CHARS;
const BASE64_RUN = /[A-Za-z0-9+/]{48,}={0,2}/g;
// biome-ignore lint/suspicious/noControlCharactersInRegex: replacing control characters is the point
const CONTROL_CHARS = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g;

/**
 * A log-safe excerpt of `text`: its first {@link MAX_EXCERPT_CHARS} characters, with runs of
 * base64 (audio) shortened to `<base64 N+ chars>`, control characters shown as `?`, and `…`
 * when cut.
 */
export function safeExcerpt(text: string): string {
  const head = text.slice(0, EXCERPT_SCAN_CHARS);
  const cut = head.length < text.length;
  const cleaned = head
    .replace(BASE64_RUN, (run: string, offset: number) => {
      const more = cut && offset + run.length === head.length ? '+' : '';
      return `<base64 ${run.length}${more} chars>`;
    })
    .replace(CONTROL_CHARS, '?');
  return cleaned.length > MAX_EXCERPT_CHARS || cut ? `${cleaned.slice(0, MAX_EXCERPT_CHARS - 1)}…` : cleaned;
}
