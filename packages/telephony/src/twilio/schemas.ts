import { z } from 'zod';
import { decodeAudioPayload, type PayloadIssue } from '../audio-payload.ts';
import { base64Length, decodeBase64Strict } from '../base64.ts';
import { counterSchema, dtmfDigitSchema, readCounter } from '../json-message.ts';

/**
 * Shapes of the messages Twilio sends on a bidirectional Media Stream, per
 * https://www.twilio.com/docs/voice/media-streams/websocket-messages ("WebSocket messages from
 * Twilio"). Unknown keys are allowed and dropped. The rare messages are zod schemas; `media`
 * (50 a second per call) has a hand-written check, {@link checkTwilioMedia}, that accepts
 * exactly what {@link twilioMediaSchema} accepts (a test holds them together; the benchmark in
 * `test/bench-media-validation.ts` compares their cost).
 */

/** Bytes of µ-law in 1 s of 8 kHz audio: the largest inbound media payload we accept. */
export const MAX_MEDIA_BYTES = 8000;
/** Base64 characters of {@link MAX_MEDIA_BYTES} bytes. */
export const MAX_MEDIA_PAYLOAD_CHARS = base64Length(MAX_MEDIA_BYTES);

/** `{"event":"connected","protocol":"Call","version":"1.0.0"}` */
export const twilioConnectedSchema = z.object({
  event: z.literal('connected'),
  protocol: z.string().optional(),
  version: z.string().optional(),
});

/** The `start` message: stream, account and call ids, custom parameters and media format. */
export const twilioStartSchema = z.object({
  event: z.literal('start'),
  sequenceNumber: counterSchema.optional(),
  streamSid: z.string().min(1).optional(),
  start: z.object({
    streamSid: z.string().min(1),
    accountSid: z.string().min(1),
    callSid: z.string().min(1),
    tracks: z.array(z.string()).optional(),
    customParameters: z.record(z.string(), z.string()).optional(),
    mediaFormat: z.object({
      encoding: z.string(),
      sampleRate: z.number(),
      channels: z.number(),
    }),
  }),
});

/** The echo of a mark we sent. */
export const twilioMarkSchema = z.object({
  event: z.literal('mark'),
  sequenceNumber: counterSchema.optional(),
  streamSid: z.string().min(1).optional(),
  mark: z.object({ name: z.string() }),
});

/** A key press on the inbound track. */
export const twilioDtmfSchema = z.object({
  event: z.literal('dtmf'),
  sequenceNumber: counterSchema.optional(),
  streamSid: z.string().min(1).optional(),
  dtmf: z.object({ track: z.string().optional(), digit: dtmfDigitSchema }),
});

/** The end of the stream. */
export const twilioStopSchema = z.object({
  event: z.literal('stop'),
  sequenceNumber: counterSchema.optional(),
  streamSid: z.string().min(1).optional(),
  stop: z.object({ accountSid: z.string().optional(), callSid: z.string().optional() }).optional(),
});

/** Caller audio: base64 µ-law, 8 kHz mono, no header. Reference for the hand check. */
export const twilioMediaSchema = z.object({
  event: z.literal('media'),
  sequenceNumber: counterSchema.optional(),
  streamSid: z.string().min(1).optional(),
  media: z.object({
    track: z.string().optional(),
    chunk: counterSchema.optional(),
    timestamp: counterSchema.optional(),
    payload: z
      .string()
      .min(4)
      .max(MAX_MEDIA_PAYLOAD_CHARS)
      .refine((s) => {
        const bytes = decodeBase64Strict(s);
        return bytes !== undefined && bytes.length <= MAX_MEDIA_BYTES;
      }, 'not base64, or over 1 s of audio'),
  }),
});

/** A `start` message after validation. */
export type TwilioStartMessage = z.infer<typeof twilioStartSchema>;

/** The fields of a `media` message that passed {@link checkTwilioMedia}. */
export interface TwilioMediaFields {
  /** The message's `streamSid`, when it has one. */
  readonly streamSid: string | undefined;
  /** The decoded payload: G.711 µ-law bytes, 8 kHz mono, 1 to {@link MAX_MEDIA_BYTES} of them. */
  readonly ulaw: Uint8Array;
  /** `media.timestamp`: ms since the stream started. */
  readonly timestampMs: number | undefined;
  /** `media.chunk`: the media chunk counter, from 1. */
  readonly sequence: number | undefined;
}

/** Why {@link checkTwilioMedia} refused a message; `detail` holds no payload text. */
export type TwilioMediaIssue = PayloadIssue;

/**
 * The hot-path check of a parsed `media` message (its `event` already read): the rules of
 * {@link twilioMediaSchema}, written out by hand because zod costs more per message (see the
 * package README), and the base64 decode of the payload ({@link decodeAudioPayload}).
 *
 * @returns The fields with the decoded µ-law, or the issue that makes the message invalid
 *   (`invalid_audio` for a payload that is empty, not base64, or decoding to more than
 *   {@link MAX_MEDIA_BYTES} bytes; `invalid_message` for anything else).
 */
export function checkTwilioMedia(
  msg: Readonly<Record<string, unknown>>,
): TwilioMediaFields | TwilioMediaIssue {
  const { streamSid, sequenceNumber, media } = msg;
  if (streamSid !== undefined && (typeof streamSid !== 'string' || streamSid === '')) {
    return issue('invalid_message', 'streamSid is not a non-empty string');
  }
  if (readCounter(sequenceNumber) === -1) return issue('invalid_message', 'sequenceNumber is not a counter');
  if (typeof media !== 'object' || media === null) return issue('invalid_message', 'media is not an object');
  const { track, chunk, timestamp, payload } = media as Readonly<Record<string, unknown>>;
  if (track !== undefined && typeof track !== 'string')
    return issue('invalid_message', 'media.track is not a string');
  const timestampMs = readCounter(timestamp);
  const sequence = readCounter(chunk);
  if (timestampMs === -1 || sequence === -1) {
    return issue('invalid_message', 'media.timestamp or media.chunk is not a counter');
  }
  const ulaw = decodeAudioPayload(payload, MAX_MEDIA_BYTES, 1);
  if ('problem' in ulaw) return ulaw;
  return { streamSid, ulaw, timestampMs, sequence };
}

function issue(problem: TwilioMediaIssue['problem'], detail: string): TwilioMediaIssue {
  return { problem, detail };
}
