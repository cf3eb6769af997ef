import { z } from 'zod';
import { ProviderProtocolError, type ProviderProtocolErrorCode } from './errors.ts';
import { jsonNestsDeeperThan } from './json-depth.ts';
import type { TransportName } from './types.ts';

/**
 * Reading providers' WebSocket text messages: JSON objects with an `event` name (Twilio,
 * Exotel and Vobiz all speak this way; https://www.twilio.com/docs/voice/media-streams/websocket-messages,
 * https://developer.exotel.com/docs/agentstream/websocket-protocol,
 * https://docs.vobiz.ai/xml/stream/stream-events).
 */

/** A parsed JSON object. */
export type JsonObject = Record<string, unknown>;

/** Builds the error a serializer throws; `raw` is the offending message, if any. */
export type ProtocolFailure = (
  code: ProviderProtocolErrorCode,
  detail: string,
  raw?: string,
) => ProviderProtocolError;

/** Longest event name echoed back in an `unknown` event, characters. */
export const MAX_EVENT_NAME_CHARS = 64;

/**
 * Deepest nesting of a provider message we parse: the providers' messages nest three levels
 * (`start.mediaFormat.encoding`, `start.customParameters.x`); the margin is for additions.
 */
export const MAX_MESSAGE_DEPTH = 8;

/**
 * Messages shorter than this are parsed without a depth check: nesting that fits in them
 * costs `JSON.parse` microseconds, and media messages (a few hundred characters, 50 a second
 * per call) skip the scan.
 */
const DEPTH_CHECK_FROM_CHARS = 1024;

/** A {@link ProtocolFailure} for `provider` whose messages start with `label: `. */
export function protocolFailure(provider: TransportName, label: string): ProtocolFailure {
  return (code, detail, raw) => new ProviderProtocolError(provider, code, `${label}: ${detail}`, raw);
}

/**
 * Refuses a message that names a stream other than the current one (once `start` told us
 * which): `named` and `current` are only compared when both are known.
 *
 * @throws {@link ProviderProtocolError} `stream_mismatch`.
 */
export function assertSameStream(
  fail: ProtocolFailure,
  current: string | undefined,
  named: string | undefined,
  raw: string,
): void {
  if (named !== undefined && current !== undefined && named !== current) {
    throw fail('stream_mismatch', 'message is for another stream', raw);
  }
}

/** The `not_started` error for sending `what` before the stream's `start` message. */
export function notStarted(fail: ProtocolFailure, what: string): ProviderProtocolError {
  return fail('not_started', `cannot send ${what} before the stream's start message`);
}

/**
 * Parses one text message: at most `maxChars` characters of JSON nested at most
 * {@link MAX_MESSAGE_DEPTH} levels, an object with a string `event`.
 *
 * @throws {@link ProviderProtocolError} `message_too_large`, `message_too_deep` (both before
 *   `JSON.parse` spends time on the text), `malformed_json` (the
 *   `SyntaxError` is not kept: V8 quotes the input in it), `invalid_message`.
 */
export function readEventMessage(
  raw: string,
  maxChars: number,
  fail: ProtocolFailure,
): { msg: JsonObject; event: string } {
  if (raw.length > maxChars) throw fail('message_too_large', `message of ${raw.length} characters`, raw);
  if (raw.length >= DEPTH_CHECK_FROM_CHARS && jsonNestsDeeperThan(raw, MAX_MESSAGE_DEPTH)) {
    throw fail('message_too_deep', `message nests more than ${MAX_MESSAGE_DEPTH} levels`, raw);
  }
  let msg: unknown;
  try {
    msg = JSON.parse(raw);
  } catch {
    throw fail('malformed_json', 'message is not JSON', raw);
  }
  if (typeof msg !== 'object' || msg === null || Array.isArray(msg)) {
    throw fail('invalid_message', 'message is not a JSON object', raw);
  }
  const event = (msg as JsonObject).event;
  if (typeof event !== 'string') throw fail('invalid_message', 'message has no event name', raw);
  return { msg: msg as JsonObject, event };
}

/**
 * Validates a parsed message against a zod schema.
 *
 * @throws {@link ProviderProtocolError} `invalid_message`, naming up to three issues (paths and
 *   zod's descriptions, no values).
 */
export function validateMessage<S extends z.ZodType>(
  schema: S,
  msg: JsonObject,
  raw: string,
  fail: ProtocolFailure,
): z.infer<S> {
  const result = schema.safeParse(msg);
  if (result.success) return result.data;
  const issues = result.error.issues
    .slice(0, 3)
    .map((issue) => `${issue.path.join('.') || '(message)'}: ${issue.message}`)
    .join('; ');
  throw fail(
    'invalid_message',
    `invalid ${String(msg.event).slice(0, MAX_EVENT_NAME_CHARS)} message (${issues})`,
    raw,
  );
}

const COUNTER = /^\d{1,15}$/;

/** A counter or millisecond timestamp: a decimal string (`"20"`) or a non-negative integer. */
export const counterSchema = z.union([
  z.string().regex(COUNTER),
  z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER),
]);

/**
 * The value of a counter ({@link counterSchema}) for hand-written checks: the number,
 * `undefined` when absent, `-1` when it is not a non-negative safe integer.
 */
export function readCounter(value: unknown): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value === 'string') return COUNTER.test(value) ? Number(value) : -1;
  if (typeof value === 'number') return Number.isSafeInteger(value) && value >= 0 ? value : -1;
  return -1;
}

/** A DTMF key: `0-9`, `*`, `#`, `A-D`. */
export const dtmfDigitSchema = z.string().regex(/^[0-9*#A-D]$/);
