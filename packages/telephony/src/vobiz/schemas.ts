import { z } from 'zod';
import { decodeAudioPayload, type PayloadIssue } from '../audio-payload.ts';
import { counterSchema, dtmfDigitSchema, readCounter } from '../json-message.ts';

/**
 * Shapes of the messages Vobiz sends on a bidirectional `<Stream>` WebSocket, per
 * https://docs.vobiz.ai/xml/stream/stream-events, https://docs.vobiz.ai/xml/stream/initiate,
 * https://docs.vobiz.ai/xml/stream/checkpoint-event and, where Vobiz is silent, Plivo's
 * protocol, which Vobiz follows (https://plivo.com/docs/voice/audio-streaming/audio-streaming).
 * Unknown keys are allowed and dropped. `media` (50 a second) has a hand-written check,
 * {@link checkVobizMedia}.
 */

const id = z.string().min(1);

/** `sampleRate`: a number as documented; a decimal string is taken too. */
const sampleRate = z.union([
  z.number().int().positive(),
  z
    .string()
    .regex(/^\d{1,6}$/)
    .transform(Number),
]);

/**
 * The `start` message. Ids are nested in `start`. `extra_headers` (the `<Stream extraHeaders>`
 * string) is top-level in Plivo's protocol; Vobiz's placement is undocumented, so it is also
 * read from inside `start`.
 */
export const vobizStartSchema = z.object({
  event: z.literal('start'),
  sequenceNumber: counterSchema.optional(),
  start: z.object({
    callId: id,
    streamId: id,
    accountId: z.union([z.string(), z.number()]).optional(),
    tracks: z.array(z.string()).optional(),
    mediaFormat: z.object({ encoding: z.string(), sampleRate: sampleRate.optional() }),
    extra_headers: z.string().optional(),
  }),
  extra_headers: z.string().optional(),
});

const envelope = { sequenceNumber: counterSchema.optional(), streamId: id.optional() };

/** `{"event":"playedStream","name":"<checkpoint>"}`: everything before the checkpoint was played. */
export const vobizPlayedStreamSchema = z.object({
  event: z.literal('playedStream'),
  ...envelope,
  name: z.string(),
});

/** `{"event":"clearedAudio",…}`: the acknowledgement of a `clearAudio`. */
export const vobizClearedAudioSchema = z.object({ event: z.literal('clearedAudio'), ...envelope });

/** A key press, `dtmf.digit` (Plivo's shape; not in Vobiz's docs). */
export const vobizDtmfSchema = z.object({
  event: z.literal('dtmf'),
  ...envelope,
  dtmf: z.object({ digit: dtmfDigitSchema }),
});

/** A `stop`: Vobiz documents none (the socket closes), but one is harmless. */
export const vobizStopSchema = z.object({ event: z.literal('stop'), ...envelope });

/** A `start` message after validation. */
export type VobizStartMessage = z.infer<typeof vobizStartSchema>;

/** The fields of a `media` message that passed {@link checkVobizMedia}. */
export interface VobizMediaFields {
  /** The message's `streamId`, when it has one. */
  readonly streamId: string | undefined;
  /** The decoded payload (µ-law bytes, or L16 in the wire byte order). */
  readonly bytes: Uint8Array;
  /** `media.chunk`: the media chunk counter. */
  readonly sequence: number | undefined;
}

/**
 * The hot-path check of a parsed `media` message (its `event` already read): `streamId`,
 * `sequenceNumber`, `media.track`, `media.timestamp` (epoch ms, as a string), `media.chunk`, and
 * a base64 payload of at most `maxBytes` bytes, whole samples of `bytesPerSample` bytes.
 *
 * @returns The fields, or the issue that makes the message invalid.
 */
export function checkVobizMedia(
  msg: Readonly<Record<string, unknown>>,
  maxBytes: number,
  bytesPerSample: 1 | 2,
): VobizMediaFields | PayloadIssue {
  const { streamId, sequenceNumber, media } = msg;
  if (streamId !== undefined && (typeof streamId !== 'string' || streamId === '')) {
    return { problem: 'invalid_message', detail: 'streamId is not a non-empty string' };
  }
  if (readCounter(sequenceNumber) === -1)
    return { problem: 'invalid_message', detail: 'sequenceNumber is not a counter' };
  if (typeof media !== 'object' || media === null)
    return { problem: 'invalid_message', detail: 'media is not an object' };
  const { track, timestamp, chunk, payload } = media as Readonly<Record<string, unknown>>;
  if (track !== undefined && typeof track !== 'string')
    return { problem: 'invalid_message', detail: 'media.track is not a string' };
  const sequence = readCounter(chunk);
  if (readCounter(timestamp) === -1 || sequence === -1) {
    return { problem: 'invalid_message', detail: 'media.timestamp or media.chunk is not a counter' };
  }
  const bytes = decodeAudioPayload(payload, maxBytes, bytesPerSample);
  if ('problem' in bytes) return bytes;
  return { streamId, bytes, sequence };
}
