import { z } from 'zod';
import { decodeAudioPayload, type PayloadIssue } from '../audio-payload.ts';
import { counterSchema, dtmfDigitSchema, readCounter } from '../json-message.ts';

/**
 * Shapes of the messages Exotel sends on a Voicebot (bidirectional AgentStream) WebSocket, per
 * https://developer.exotel.com/docs/agentstream/websocket-protocol and
 * https://developer.exotel.com/docs/agentstream/stream-voicebot-applet. The documented keys are
 * snake_case (`stream_sid`, `call_sid`, `sequence_number`); Exotel's own Connect Voice AI
 * samples read camelCase (`streamSid`, `callSid`) and note that field names "vary slightly by
 * applet / Connect path" (https://github.com/exotel/Agent-Stream, `docs/AGENTSTREAM_WSS_PROTOCOL.md`),
 * so every id key is accepted in both spellings. Unknown keys are allowed and dropped. `media`
 * (about 10 a second) has a hand-written check, {@link checkExotelMedia}.
 */

const id = z.string().min(1);
const text = z.string();

/** A custom parameter value: a string as documented; numbers and booleans are taken as text. */
const parameters = z.record(z.string(), z.union([z.string(), z.number(), z.boolean()]));

/** `sample_rate`: the string `"8000"` as documented, or a number. */
const sampleRate = z.union([z.string().regex(/^\d{1,6}$/), z.number().int().positive()]);

const mediaFormat = z.object({
  encoding: z.string().optional(),
  sample_rate: sampleRate.optional(),
  sampleRate: sampleRate.optional(),
  /** `"16"` (bits a sample) in current docs, `"128kbps"` in older ones; not checked. */
  bit_rate: z.union([z.string(), z.number()]).optional(),
  bitRate: z.union([z.string(), z.number()]).optional(),
});

/** `{"event":"connected"}` */
export const exotelConnectedSchema = z.object({ event: z.literal('connected') });

/** The `start` message: stream, call and account ids, numbers, custom parameters, media format. */
export const exotelStartSchema = z.object({
  event: z.literal('start'),
  sequence_number: counterSchema.optional(),
  sequenceNumber: counterSchema.optional(),
  stream_sid: id.optional(),
  streamSid: id.optional(),
  start: z.object({
    stream_sid: id.optional(),
    streamSid: id.optional(),
    call_sid: id.optional(),
    callSid: id.optional(),
    account_sid: text.optional(),
    accountSid: text.optional(),
    from: text.optional(),
    to: text.optional(),
    custom_parameters: parameters.optional(),
    customParameters: parameters.optional(),
    media_format: mediaFormat.optional(),
    mediaFormat: mediaFormat.optional(),
  }),
});

const envelope = {
  sequence_number: counterSchema.optional(),
  sequenceNumber: counterSchema.optional(),
  stream_sid: id.optional(),
  streamSid: id.optional(),
};

/** The echo of a mark we sent, once the audio before it was played. */
export const exotelMarkSchema = z.object({
  event: z.literal('mark'),
  ...envelope,
  mark: z.object({ name: z.string() }),
});

/** A key press (Voicebot applet only). */
export const exotelDtmfSchema = z.object({
  event: z.literal('dtmf'),
  ...envelope,
  // `duration` ("100", ms) is not used; any string or number is let through.
  dtmf: z.object({ digit: dtmfDigitSchema, duration: z.union([z.string(), z.number()]).optional() }),
});

/** The end of the stream; `stop.reason` values are undocumented (e.g. `callended`). */
export const exotelStopSchema = z.object({
  event: z.literal('stop'),
  ...envelope,
  stop: z
    .object({
      call_sid: text.optional(),
      callSid: text.optional(),
      account_sid: text.optional(),
      accountSid: text.optional(),
      reason: text.optional(),
    })
    .optional(),
});

/** A `start` message after validation. */
export type ExotelStartMessage = z.infer<typeof exotelStartSchema>;

/** The fields of a `media` message that passed {@link checkExotelMedia}. */
export interface ExotelMediaFields {
  /** `stream_sid` or `streamSid`, when the message has one. */
  readonly streamSid: string | undefined;
  /** The decoded payload: 16-bit little-endian PCM bytes, an even number of them. */
  readonly bytes: Uint8Array;
  /** `media.timestamp`: ms since the stream started. */
  readonly timestampMs: number | undefined;
  /** `media.chunk`: the media chunk counter. */
  readonly sequence: number | undefined;
}

/**
 * The hot-path check of a parsed `media` message (its `event` already read): ids and counters
 * in either spelling, and a base64 payload of 16-bit PCM (an even number of bytes, at most
 * `maxBytes`).
 *
 * @returns The fields, or the issue that makes the message invalid (`invalid_audio` for the
 *   payload, `invalid_message` for anything else).
 */
export function checkExotelMedia(
  msg: Readonly<Record<string, unknown>>,
  maxBytes: number,
): ExotelMediaFields | PayloadIssue {
  const streamSid = msg.stream_sid ?? msg.streamSid;
  if (streamSid !== undefined && (typeof streamSid !== 'string' || streamSid === '')) {
    return { problem: 'invalid_message', detail: 'stream_sid is not a non-empty string' };
  }
  if (readCounter(msg.sequence_number) === -1 || readCounter(msg.sequenceNumber) === -1) {
    return { problem: 'invalid_message', detail: 'sequence_number is not a counter' };
  }
  const media = msg.media;
  if (typeof media !== 'object' || media === null)
    return { problem: 'invalid_message', detail: 'media is not an object' };
  const { chunk, timestamp, payload } = media as Readonly<Record<string, unknown>>;
  const timestampMs = readCounter(timestamp);
  const sequence = readCounter(chunk);
  if (timestampMs === -1 || sequence === -1) {
    return { problem: 'invalid_message', detail: 'media.timestamp or media.chunk is not a counter' };
  }
  const bytes = decodeAudioPayload(payload, maxBytes, 2);
  if ('problem' in bytes) return bytes;
  return { streamSid, bytes, timestampMs, sequence };
}
