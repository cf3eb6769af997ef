import { pcmToBytes } from '@parley/pipeline';
import { pcm16FromWire } from '../audio-payload.ts';
import { encodeBase64 } from '../base64.ts';
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
import { EXOTEL_DEFAULT_SAMPLE_RATE_HZ, type ExotelSampleRateHz, isExotelSampleRate } from './sample-rate.ts';
import {
  checkExotelMedia,
  type ExotelStartMessage,
  exotelConnectedSchema,
  exotelDtmfSchema,
  exotelMarkSchema,
  exotelStartSchema,
  exotelStopSchema,
} from './schemas.ts';

/**
 * Longest text message we parse, characters: the largest valid message is a 1 s media message
 * at 24 kHz (48 000 bytes, 64 000 base64 characters).
 */
const MAX_MESSAGE_CHARS = 96 * 1024;

/**
 * Outbound payload rules for bidirectional streams
 * (https://developer.exotel.com/docs/agentstream/stream-voicebot-applet, "Chunk Size
 * Requirements"; https://support.exotel.com/support/solutions/articles/3000108630): a multiple
 * of 320 bytes, at least 3.2 KB, at most 100 KB.
 */
const CHUNK_MULTIPLE_BYTES = 320;
const MIN_CHUNK_BYTES = 3200;
const MAX_CHUNK_BYTES = 100 * 1024;

/** `audio/x-raw` (current docs) and `base64` (older docs) both mean 16-bit little-endian PCM. */
const PCM_ENCODINGS = new Set(['audio/x-raw', 'base64']);

/** Options of {@link ExotelSerializer}. */
export interface ExotelSerializerOptions {
  /**
   * The rate the stream URL asked for (`?sample-rate=`, see `exotelSampleRateFromQuery`);
   * default 8000. A `start` whose `media_format.sample_rate` says otherwise wins.
   */
  readonly sampleRateHz?: ExotelSampleRateHz;
  /**
   * Clock for the `media.timestamp` of outbound camelCase media (ms since the `start` was
   * parsed), in ms; default `performance.now`.
   */
  readonly now?: () => number;
}

/**
 * Exotel Voicebot applet / Connect Voice AI (AgentStream, bidirectional) serializer, one
 * instance per call.
 *
 * Inbound (https://developer.exotel.com/docs/agentstream/websocket-protocol):
 * `connected` → `start` → (`media` | `mark` | `dtmf`)* → `stop`. Ids are read in snake_case
 * (documented) or camelCase (Exotel's Connect samples). `media` payloads are base64 16-bit
 * signed little-endian mono PCM at the stream's rate (`media_format.sample_rate`: 8000 by
 * default, 16000 or 24000 when the URL asked); they come out as `media` events at that rate.
 * The `start`'s `media_format.encoding` must be `audio/x-raw` (or the older `base64`), or absent;
 * the opt-in µ-law format of a beta guide is refused as `unsupported_encoding`.
 *
 * Outbound (https://developer.exotel.com/docs/agentstream/stream-voicebot-applet): the stream-id
 * key is spelled the way Exotel spelled it in `start` (Exotel-authored code uses both spellings
 * and which one Exotel requires is undocumented, so we answer in the peer's own dialect):
 * - snake_case: `{"event":"media","stream_sid":"…","media":{"payload":"<base64 PCM16LE>"}}`,
 *   `{"event":"mark","stream_sid":"…","mark":{"name":"…"}}`, `{"event":"clear","stream_sid":"…"}`;
 * - camelCase: `{"event":"media","streamSid":"…","media":{"payload":"…","chunk":"1","timestamp":"120","sequenceNumber":"1"}}`
 *   (chunk and sequence number count our media messages from 1; timestamp is ms since `start`,
 *   as Exotel's own bridges send them: their note says Connect streams without them may end
 *   early), and `mark`/`clear` with `streamSid`.
 *
 * There is no hangup message: close the socket (the flow moves to its next applet; put a
 * Hangup applet after the Voicebot), so {@link encodeHangup} returns `undefined`.
 *
 * @example
 * ```ts
 * const serializer = new ExotelSerializer({ sampleRateHz: exotelSampleRateFromQuery(query) });
 * ws.on('message', (data) => {
 *   const event = serializer.parse(data.toString());
 *   if (event.type === 'media') input.pushAudio(event.audio, event.sampleRateHz);
 * });
 * // after start: chunks of serializer.outputChunkMs (200 ms at 8 kHz = 3200 bytes)
 * ws.send(serializer.encodeAudio(chunk, serializer.sampleRateHz));
 * ```
 */
export class ExotelSerializer implements TelephonySerializer {
  /** Always `exotel`. */
  readonly provider = 'exotel' as const;
  /** Exotel ends a stream with `stop`. */
  readonly sendsStop = true;

  readonly #now: () => number;
  #sampleRateHz: ExotelSampleRateHz;
  #streamSid: string | undefined;
  #camelCase = false;
  #startedAtMs = 0;
  #mediaSent = 0;
  /** `{"event":"media","stream_sid":"…","media":{"payload":"` for this stream, built at `start`. */
  #mediaPrefix: string | undefined;
  #clearMessage: string | undefined;

  /** @throws TypeError when `options.sampleRateHz` is not 8000, 16000 or 24000. */
  constructor(options: ExotelSerializerOptions = {}) {
    const rate = options.sampleRateHz ?? EXOTEL_DEFAULT_SAMPLE_RATE_HZ;
    if (!isExotelSampleRate(rate))
      throw new TypeError(`Exotel streams at 8000, 16000 or 24000 Hz, not ${rate}`);
    this.#sampleRateHz = rate;
    this.#now = options.now ?? (() => performance.now());
  }

  /** The stream's rate, Hz: the constructor's until `start`, then the one `start` announced. */
  get sampleRateHz(): number {
    return this.#sampleRateHz;
  }

  /**
   * Outbound chunk length, ms: the shortest whole number of 20 ms slots, and at least 100 ms,
   * whose 16-bit PCM is at least Exotel's minimum of 3200 bytes: 200 ms at 8 kHz (3200 bytes),
   * 100 ms at 16 kHz (3200 bytes) and at 24 kHz (4800 bytes). Every such chunk is a multiple of
   * 320 bytes. (Exotel's docs label 3.2 KB "100 ms", which holds at 16 kHz only: at 8 kHz,
   * 16-bit PCM is 16 000 bytes a second, and their own note that a 320-byte packet plays for
   * 20 ms agrees; the byte minimum is what their platform buffers by, so it wins.)
   */
  get outputChunkMs(): number {
    const bytesPerSlot = (this.#sampleRateHz * 2 * 20) / 1000;
    return Math.max(100, Math.ceil(MIN_CHUNK_BYTES / bytesPerSlot) * 20);
  }

  /** The stream's id once `start` was parsed; `undefined` before. */
  get streamSid(): string | undefined {
    return this.#streamSid;
  }

  /** Whether Exotel spelled the stream id `streamSid` (camelCase) in `start`; we answer in kind. */
  get camelCase(): boolean {
    return this.#camelCase;
  }

  /**
   * Parse one text message from Exotel.
   *
   * @param message - One WebSocket text frame, as received.
   * @returns The decoded event; `media` audio is a fresh `Int16Array` at {@link sampleRateHz};
   *   `stop` carries `stop.reason` when given; events other than `connected`, `start`,
   *   `media`, `mark`, `dtmf`, `stop` come out as `unknown`.
   * @throws {@link ProviderProtocolError} with code `message_too_large` (over 96 KiB),
   *   `malformed_json`, `invalid_message` (not an object, no `event`, fields missing or of the
   *   wrong type, a `start` without stream or call id), `invalid_audio` (payload empty, not
   *   base64, an odd number of bytes, or over 1 s), `media_before_start`, `duplicate_start`,
   *   `stream_mismatch`, `unsupported_encoding` (a `start` declaring an encoding other than
   *   `audio/x-raw`/`base64`, or a rate other than 8000, 16000, 24000 Hz).
   */
  parse(message: string): ProviderEvent {
    const { msg, event } = readEventMessage(message, MAX_MESSAGE_CHARS, fail);
    switch (event) {
      case 'media':
        return this.#parseMedia(msg, message);
      case 'connected':
        validateMessage(exotelConnectedSchema, msg, message, fail);
        return { type: 'connected' };
      case 'start':
        return this.#parseStart(msg, message);
      case 'mark': {
        const m = validateMessage(exotelMarkSchema, msg, message, fail);
        assertSameStream(fail, this.#streamSid, m.stream_sid ?? m.streamSid, message);
        return { type: 'mark', name: m.mark.name };
      }
      case 'dtmf': {
        const m = validateMessage(exotelDtmfSchema, msg, message, fail);
        assertSameStream(fail, this.#streamSid, m.stream_sid ?? m.streamSid, message);
        return { type: 'dtmf', digit: m.dtmf.digit };
      }
      case 'stop': {
        const m = validateMessage(exotelStopSchema, msg, message, fail);
        assertSameStream(fail, this.#streamSid, m.stream_sid ?? m.streamSid, message);
        const reason = m.stop?.reason;
        return reason === undefined ? { type: 'stop' } : { type: 'stop', reason };
      }
      default:
        return { type: 'unknown', event: event.slice(0, MAX_EVENT_NAME_CHARS) };
    }
  }

  /**
   * The `media` message that plays `pcm`.
   *
   * @param pcm - 16-bit signed mono PCM at the stream's rate, one chunk of
   *   {@link outputChunkMs} (the transport zero-pads the last one). Its size in bytes must be a
   *   multiple of 320, from 3200 to 102 400 (100 KiB), per Exotel's chunk rules.
   * @param sampleRateHz - Must be {@link sampleRateHz}.
   * @returns The message, with `stream_sid` or `streamSid` as Exotel spelled it (see the class).
   * @throws {@link ProviderProtocolError} `not_started`, `unsupported_sample_rate`,
   *   `invalid_audio` (a chunk size Exotel does not accept).
   */
  encodeAudio(pcm: Int16Array, sampleRateHz: number): string {
    const prefix = this.#mediaPrefix;
    if (prefix === undefined) throw notStarted(fail, 'media');
    if (sampleRateHz !== this.#sampleRateHz) {
      throw fail(
        'unsupported_sample_rate',
        `outbound audio is ${sampleRateHz} Hz, the stream is ${this.#sampleRateHz} Hz`,
      );
    }
    const bytes = pcm.length * 2;
    if (bytes % CHUNK_MULTIPLE_BYTES !== 0 || bytes < MIN_CHUNK_BYTES || bytes > MAX_CHUNK_BYTES) {
      throw fail(
        'invalid_audio',
        `outbound chunk of ${bytes} bytes; Exotel takes multiples of 320 bytes from 3200 to 102400`,
      );
    }
    const payload = encodeBase64(pcmToBytes(pcm));
    if (!this.#camelCase) return `${prefix}${payload}"}}`;
    const n = String(++this.#mediaSent);
    const timestamp = String(Math.max(0, Math.round(this.#now() - this.#startedAtMs)));
    return `${prefix}${payload}","chunk":"${n}","timestamp":"${timestamp}","sequenceNumber":"${n}"}}`;
  }

  /**
   * The `mark` message; Exotel echoes a `mark` with the same name once the audio sent before
   * it has played. (Whether it echoes pending marks after a `clear` is undocumented.)
   *
   * @returns `{"event":"mark","stream_sid":"…","mark":{"name":"<name>"}}` (or `streamSid`).
   * @throws {@link ProviderProtocolError} `not_started`.
   */
  encodeMark(name: string): string {
    const streamSid = this.#streamSid;
    if (streamSid === undefined) throw notStarted(fail, 'mark');
    return this.#camelCase
      ? JSON.stringify({ event: 'mark', streamSid, mark: { name } })
      : JSON.stringify({ event: 'mark', stream_sid: streamSid, mark: { name } });
  }

  /**
   * The `clear` message: Exotel drops the audio it has buffered but not played.
   *
   * @returns `{"event":"clear","stream_sid":"…"}` (or `streamSid`).
   * @throws {@link ProviderProtocolError} `not_started`.
   */
  encodeClear(): string {
    const message = this.#clearMessage;
    if (message === undefined) throw notStarted(fail, 'clear');
    return message;
  }

  /**
   * Always `undefined`: AgentStream has no hangup message. Close the socket; the call flow
   * moves on to the next applet (a Hangup applet ends the call), and a Connect Voice AI call
   * ends (https://developer.exotel.com/docs/agentstream/stream-voicebot-applet, "Next Applet").
   */
  encodeHangup(): undefined {
    return undefined;
  }

  #parseMedia(msg: JsonObject, raw: string): ProviderEvent {
    if (this.#streamSid === undefined) throw fail('media_before_start', 'media before start', raw);
    const media = checkExotelMedia(msg, this.#sampleRateHz * 2);
    if ('problem' in media) throw fail(media.problem, media.detail, raw);
    assertSameStream(fail, this.#streamSid, media.streamSid, raw);
    return {
      type: 'media',
      audio: pcm16FromWire(media.bytes, false),
      sampleRateHz: this.#sampleRateHz,
      timestampMs: media.timestampMs,
      sequence: media.sequence,
    };
  }

  #parseStart(msg: JsonObject, raw: string): ProviderEvent {
    if (this.#streamSid !== undefined) throw fail('duplicate_start', 'second start on the stream', raw);
    const m = validateMessage(exotelStartSchema, msg, raw, fail);
    const { start } = m;
    const outerSid = m.stream_sid ?? m.streamSid;
    const streamSid = start.stream_sid ?? start.streamSid ?? outerSid;
    const callSid = start.call_sid ?? start.callSid;
    if (streamSid === undefined || callSid === undefined) {
      throw fail('invalid_message', 'start has no stream_sid or call_sid', raw);
    }
    if (outerSid !== undefined && outerSid !== streamSid) {
      throw fail('stream_mismatch', 'stream_sid and start.stream_sid differ', raw);
    }
    const sampleRateHz = this.#startRate(m, raw);
    // The id came in camelCase when no snake_case key held it (it is known by now).
    const camelCase = start.stream_sid === undefined && m.stream_sid === undefined;
    const sidJson = JSON.stringify(streamSid);
    const key = camelCase ? 'streamSid' : 'stream_sid';
    this.#sampleRateHz = sampleRateHz;
    this.#camelCase = camelCase;
    this.#streamSid = streamSid;
    this.#startedAtMs = this.#now();
    this.#mediaPrefix = `{"event":"media","${key}":${sidJson},"media":{"payload":"`;
    this.#clearMessage = `{"event":"clear","${key}":${sidJson}}`;
    const accountId = start.account_sid ?? start.accountSid;
    const parameters = start.custom_parameters ?? start.customParameters ?? {};
    return {
      type: 'start',
      streamId: streamSid,
      callId: callSid,
      ...(accountId !== undefined && { accountId }),
      // fromEntries defines own data properties, so a `__proto__` parameter stays a plain key.
      customParameters: Object.fromEntries(Object.entries(parameters).map(([k, v]) => [k, String(v)])),
      mediaFormat: { encoding: 'pcm16', sampleRateHz, channels: 1 },
      ...(start.from !== undefined && { from: start.from }),
      ...(start.to !== undefined && { to: start.to }),
    };
  }

  /** The rate a `start` announces (or the constructor's when it announces none). */
  #startRate(m: ExotelStartMessage, raw: string): ExotelSampleRateHz {
    const format = m.start.media_format ?? m.start.mediaFormat;
    const encoding = format?.encoding?.trim().toLowerCase();
    if (encoding !== undefined && !PCM_ENCODINGS.has(encoding)) {
      throw fail(
        'unsupported_encoding',
        `stream encoding ${JSON.stringify(encoding.slice(0, 40))}; expected audio/x-raw (16-bit PCM)`,
        raw,
      );
    }
    const declared = format?.sample_rate ?? format?.sampleRate;
    if (declared === undefined) return this.#sampleRateHz;
    const rate = Number(declared);
    if (!isExotelSampleRate(rate)) {
      throw fail('unsupported_encoding', `stream rate ${rate} Hz; expected 8000, 16000 or 24000`, raw);
    }
    return rate;
  }
}

const fail = protocolFailure('exotel', 'Exotel AgentStream');
