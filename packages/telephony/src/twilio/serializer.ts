import { mulawToPcm } from '@parley/pipeline';
import { mulawBase64 } from '../audio-payload.ts';
import {
  assertSameStream,
  type JsonObject,
  MAX_EVENT_NAME_CHARS,
  notStarted,
  protocolFailure,
  readEventMessage,
  validateMessage,
} from '../json-message.ts';
import type { ProviderEvent, TelephonySerializer } from '../types.ts';
import {
  checkTwilioMedia,
  twilioConnectedSchema,
  twilioDtmfSchema,
  twilioMarkSchema,
  twilioStartSchema,
  twilioStopSchema,
} from './schemas.ts';

/** Twilio Media Streams audio rate: G.711 µ-law at 8000 Hz, mono. */
const WIRE_RATE_HZ = 8000;
/**
 * Longest text message we parse, characters. The largest valid messages are a 1 s media message
 * (about 11 k characters) and a `start` carrying our custom parameters (a few k at most);
 * anything far longer is refused before `JSON.parse` spends time on it.
 */
const MAX_MESSAGE_CHARS = 64 * 1024;

/**
 * Twilio bidirectional Media Streams (`<Connect><Stream>`) serializer, one instance per call.
 *
 * Inbound (https://www.twilio.com/docs/voice/media-streams/websocket-messages#websocket-messages-from-twilio):
 * `connected` → `start` → (`media` | `mark` | `dtmf`)* → `stop`. `media` payloads are base64
 * G.711 µ-law, 8000 Hz mono, no header (normally 160 bytes = 20 ms); they come out as
 * `media` events with 16-bit PCM at 8000 Hz. Other events come out as `unknown`.
 *
 * Outbound (same page, messages to Twilio on a bidirectional stream), exactly:
 * - `{"event":"media","streamSid":"MZ…","media":{"payload":"<base64 µ-law>"}}`
 * - `{"event":"mark","streamSid":"MZ…","mark":{"name":"<name>"}}`
 * - `{"event":"clear","streamSid":"MZ…"}`
 *
 * `media` messages are checked by hand (this is the hot path: 50 messages a second per call);
 * the rarer ones are validated with zod schemas.
 *
 * @example
 * ```ts
 * const serializer = new TwilioSerializer();
 * ws.on('message', (data) => {
 *   const event = serializer.parse(data.toString());
 *   if (event.type === 'media') input.pushAudio(event.audio, event.sampleRateHz);
 * });
 * ws.send(serializer.encodeAudio(chunk, 8000));
 * ```
 */
export class TwilioSerializer implements TelephonySerializer {
  /** Always `twilio`. */
  readonly provider = 'twilio' as const;
  /** Twilio ends a stream with `stop`. */
  readonly sendsStop = true;
  /** Outbound chunks of 20 ms (160 µ-law bytes), the size Twilio sends inbound; small chunks make `clear` prompt. */
  readonly outputChunkMs = 20;
  /** 8000 Hz, in and out. */
  readonly sampleRateHz = WIRE_RATE_HZ;

  #streamSid: string | undefined;
  /** `{"event":"media","streamSid":"…","media":{"payload":"` for this stream, built once at `start`. */
  #mediaPrefix: string | undefined;
  #clearMessage: string | undefined;

  /** The stream's `streamSid` once `start` was parsed; `undefined` before. */
  get streamSid(): string | undefined {
    return this.#streamSid;
  }

  /**
   * Parse one text message from Twilio.
   *
   * @param message - One WebSocket text frame, as received.
   * @returns The decoded event; `media` audio is a fresh `Int16Array` of 8 kHz mono PCM.
   * @throws {@link ProviderProtocolError} with code
   *   `message_too_large` (over 64 KiB), `malformed_json`, `invalid_message` (not an object, no
   *   `event`, or fields missing or of the wrong type), `invalid_audio` (payload empty, not
   *   base64, or over 1 s), `media_before_start`, `duplicate_start`, `stream_mismatch` (a
   *   `streamSid` other than the one `start` announced), `unsupported_encoding` (a `start` whose
   *   format is not `audio/x-mulaw`, 8000 Hz, 1 channel).
   */
  parse(message: string): ProviderEvent {
    const { msg, event } = readEventMessage(message, MAX_MESSAGE_CHARS, fail);
    switch (event) {
      case 'media':
        return this.#parseMedia(msg, message);
      case 'connected':
        validateMessage(twilioConnectedSchema, msg, message, fail);
        return { type: 'connected' };
      case 'start':
        return this.#parseStart(msg, message);
      case 'mark': {
        const m = validateMessage(twilioMarkSchema, msg, message, fail);
        assertSameStream(fail, this.#streamSid, m.streamSid, message);
        return { type: 'mark', name: m.mark.name };
      }
      case 'dtmf': {
        const m = validateMessage(twilioDtmfSchema, msg, message, fail);
        assertSameStream(fail, this.#streamSid, m.streamSid, message);
        return { type: 'dtmf', digit: m.dtmf.digit };
      }
      case 'stop': {
        const m = validateMessage(twilioStopSchema, msg, message, fail);
        assertSameStream(fail, this.#streamSid, m.streamSid, message);
        return { type: 'stop' };
      }
      default:
        return { type: 'unknown', event: event.slice(0, MAX_EVENT_NAME_CHARS) };
    }
  }

  /**
   * The `media` message that plays `pcm`.
   *
   * @param pcm - 16-bit signed mono PCM, normally one 20 ms chunk (160 samples); any
   *   non-zero length is accepted (Twilio queues outbound media of any size).
   * @param sampleRateHz - Must be 8000: resample before (resampling belongs to the TTS side).
   * @returns `{"event":"media","streamSid":"MZ…","media":{"payload":"<base64 µ-law>"}}`.
   * @throws {@link ProviderProtocolError} `not_started`, `unsupported_sample_rate`,
   *   `invalid_audio` (empty `pcm`).
   */
  encodeAudio(pcm: Int16Array, sampleRateHz: number): string {
    const prefix = this.#mediaPrefix;
    if (prefix === undefined) throw notStarted(fail, 'media');
    if (sampleRateHz !== WIRE_RATE_HZ) {
      throw fail('unsupported_sample_rate', `outbound audio is ${sampleRateHz} Hz, Twilio needs 8000 Hz`);
    }
    if (pcm.length === 0) throw fail('invalid_audio', 'outbound audio chunk is empty');
    return `${prefix}${mulawBase64(pcm)}"}}`;
  }

  /**
   * The `mark` message; Twilio echoes a `mark` with the same name when the audio sent before
   * it has played, or was dropped by a `clear`.
   *
   * @returns `{"event":"mark","streamSid":"MZ…","mark":{"name":"<name>"}}`.
   * @throws {@link ProviderProtocolError} `not_started`.
   */
  encodeMark(name: string): string {
    const streamSid = this.#streamSid;
    if (streamSid === undefined) throw notStarted(fail, 'mark');
    return JSON.stringify({ event: 'mark', streamSid, mark: { name } });
  }

  /**
   * The `clear` message: Twilio drops the audio it has buffered and echoes pending marks.
   *
   * @returns `{"event":"clear","streamSid":"MZ…"}`.
   * @throws {@link ProviderProtocolError} `not_started`.
   */
  encodeClear(): string {
    const message = this.#clearMessage;
    if (message === undefined) throw notStarted(fail, 'clear');
    return message;
  }

  /** The hot path: {@link checkTwilioMedia} (shape, base64 decode), then µ-law → PCM. */
  #parseMedia(msg: JsonObject, raw: string): ProviderEvent {
    if (this.#streamSid === undefined) throw fail('media_before_start', 'media before start', raw);
    const media = checkTwilioMedia(msg);
    if ('problem' in media) throw fail(media.problem, media.detail, raw);
    assertSameStream(fail, this.#streamSid, media.streamSid, raw);
    return {
      type: 'media',
      audio: mulawToPcm(media.ulaw),
      sampleRateHz: WIRE_RATE_HZ,
      timestampMs: media.timestampMs,
      sequence: media.sequence,
    };
  }

  #parseStart(msg: JsonObject, raw: string): ProviderEvent {
    if (this.#streamSid !== undefined) throw fail('duplicate_start', 'second start on the stream', raw);
    const { streamSid: outerSid, start } = validateMessage(twilioStartSchema, msg, raw, fail);
    if (outerSid !== undefined && outerSid !== start.streamSid) {
      throw fail('stream_mismatch', 'streamSid and start.streamSid differ', raw);
    }
    const { encoding, sampleRate, channels } = start.mediaFormat;
    if (encoding !== 'audio/x-mulaw' || sampleRate !== WIRE_RATE_HZ || channels !== 1) {
      const format = `${JSON.stringify(encoding.slice(0, 40))} at ${sampleRate} Hz, ${channels} channel(s)`;
      throw fail(
        'unsupported_encoding',
        `stream format ${format}; expected audio/x-mulaw at 8000 Hz, mono`,
        raw,
      );
    }
    const sidJson = JSON.stringify(start.streamSid);
    this.#streamSid = start.streamSid;
    this.#mediaPrefix = `{"event":"media","streamSid":${sidJson},"media":{"payload":"`;
    this.#clearMessage = `{"event":"clear","streamSid":${sidJson}}`;
    return {
      type: 'start',
      streamId: start.streamSid,
      callId: start.callSid,
      accountId: start.accountSid,
      // fromEntries defines keys as own data properties, so a `__proto__` parameter stays a plain key.
      customParameters: Object.fromEntries(Object.entries(start.customParameters ?? {})),
      mediaFormat: { encoding: 'mulaw', sampleRateHz: WIRE_RATE_HZ, channels: 1 },
      ...(start.tracks !== undefined && { tracks: start.tracks }),
    };
  }
}

const fail = protocolFailure('twilio', 'Twilio Media Streams');
