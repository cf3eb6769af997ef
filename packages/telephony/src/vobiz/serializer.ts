import { mulawToPcm, pcmToBytes } from '@parley/pipeline';
import { mulawBase64, pcm16FromWire } from '../audio-payload.ts';
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
import {
  VOBIZ_DEFAULT_CONTENT_TYPE,
  type VobizContentType,
  type VobizWireFormat,
  vobizWireFormat,
} from './content-type.ts';
import {
  checkVobizMedia,
  type VobizStartMessage,
  vobizClearedAudioSchema,
  vobizDtmfSchema,
  vobizPlayedStreamSchema,
  vobizStartSchema,
  vobizStopSchema,
} from './schemas.ts';

/**
 * Longest text message we parse, characters: the largest valid message is a 1 s media message
 * of L16 at 24 kHz (48 000 bytes, 64 000 base64 characters).
 */
const MAX_MESSAGE_CHARS = 96 * 1024;

/** Options of {@link VobizSerializer}. */
export interface VobizSerializerOptions {
  /**
   * The `contentType` our `<Stream>` answer declared (see `vobizStreamXml`); default
   * `audio/x-mulaw;rate=8000`. It decodes `media` that arrives before `start` and gives
   * {@link VobizSerializer.sampleRateHz} until then; the format `start` announces wins.
   */
  readonly contentType?: VobizContentType;
  /**
   * Byte order of inbound L16 payloads. Default `big-endian`: Vobiz states that `media.payload`
   * L16 is in network byte order while the `playAudio` L16 it takes is little-endian
   * (https://github.com/vobiz-ai/Agent-Skills, `skills/vobiz-audio-streams/SKILL.md`, "Audio
   * format"). Outbound L16 is always little-endian.
   */
  readonly inboundL16ByteOrder?: 'big-endian' | 'little-endian';
}

/**
 * Vobiz bidirectional audio stream (`<Stream bidirectional="true">`) serializer, one instance
 * per call. Vobiz follows Plivo's stream protocol.
 *
 * Inbound (https://docs.vobiz.ai/xml/stream/stream-events):
 * - `start`: ids nested in `start` (`callId` = the call's `CallUUID`, `streamId`, `accountId`),
 *   `start.mediaFormat` (`audio/x-mulaw` at 8000 Hz, or `audio/x-l16` at 8000/16000/24000 Hz),
 *   and `extra_headers`, our `extraHeaders` string, parsed into `customParameters` (`k=v` pairs
 *   split on `,` as written in the XML, or `;` as in Plivo's example).
 *   A repeated `start` for the same call (a reconnect) is accepted and reported again with the
 *   new `streamId`, which outbound messages use from then on; one for another call is
 *   `duplicate_start`.
 * - `media`: base64 µ-law, or L16 **big-endian** (see {@link VobizSerializerOptions}), 20 ms a
 *   message; out as `media` events of 16-bit PCM at the stream's rate, with `sequence` =
 *   `media.chunk`. `media.timestamp` is wall-clock epoch ms, not ms since the stream started,
 *   so `timestampMs` is left out. Vobiz may send `media` before `start`: such audio is decoded
 *   with the format our answer declared ({@link VobizSerializerOptions.contentType}) rather
 *   than refused, so a call's first frames never count as protocol errors.
 * - `playedStream` (the echo of a `checkpoint`, sent only if its audio was played, not when
 *   cleared) → `mark`; `clearedAudio` (acknowledges `clearAudio`) → `cleared`; `dtmf`
 *   (`dtmf.digit`, Plivo's shape) → `dtmf`; `stop` (Vobiz sends none: the socket closes when the
 *   call ends) → `stop`. Anything else → `unknown`.
 *
 * Outbound (https://docs.vobiz.ai/xml/stream/stream-events, "to Vobiz"), exactly:
 * - `{"event":"playAudio","media":{"contentType":"audio/x-mulaw","sampleRate":8000,"payload":"<base64>"}}`
 *   with `start.mediaFormat`'s encoding and rate; L16 payloads little-endian;
 * - `{"event":"checkpoint","streamId":"…","name":"<name>"}`;
 * - `{"event":"clearAudio","streamId":"…"}`;
 * - {@link encodeHangup}: `{"event":"stop","streamId":"…"}` (Vobiz drops queued audio, closes
 *   the socket and runs the next XML element, or hangs up).
 *
 * @example
 * ```ts
 * const serializer = new VobizSerializer({ contentType: 'audio/x-mulaw;rate=8000' });
 * ws.on('message', (data) => {
 *   const event = serializer.parse(data.toString());
 *   if (event.type === 'media') input.pushAudio(event.audio, event.sampleRateHz);
 * });
 * ws.send(serializer.encodeAudio(chunk20ms, serializer.sampleRateHz));
 * ws.send(serializer.encodeMark('farewell')); // then, on its `mark` event:
 * ws.send(serializer.encodeHangup() ?? '');
 * ```
 */
export class VobizSerializer implements TelephonySerializer {
  /** Always `vobiz`. */
  readonly provider = 'vobiz' as const;
  /** Vobiz sends no `stop`: the socket closing ends the call. */
  readonly sendsStop = false;
  /** 20 ms chunks (160 µ-law bytes, 320 L16 bytes at 8 kHz), as Vobiz sends, so `clearAudio` is prompt. */
  readonly outputChunkMs = 20;

  readonly #inboundBigEndian: boolean;
  /** The declared format until `start`, then the one `start` announced. */
  #format: VobizWireFormat;
  #callId: string | undefined;
  #streamId: string | undefined;
  /** `{"event":"playAudio","media":{"contentType":"…","sampleRate":N,"payload":"`, built at `start`. */
  #playPrefix: string | undefined;

  /** @throws TypeError when `options.contentType` is not a {@link VobizContentType}. */
  constructor(options: VobizSerializerOptions = {}) {
    const contentType = options.contentType ?? VOBIZ_DEFAULT_CONTENT_TYPE;
    const format = vobizWireFormat(contentType);
    if (format === undefined)
      throw new TypeError(`${JSON.stringify(contentType)} is not a Vobiz contentType`);
    this.#format = format;
    this.#inboundBigEndian = (options.inboundL16ByteOrder ?? 'big-endian') === 'big-endian';
  }

  /** The wire rate, Hz: the declared content type's until `start`, then the one `start` announced. */
  get sampleRateHz(): number {
    return this.#format.sampleRateHz;
  }

  /** The current stream's `streamId` once `start` was parsed (the latest, after a reconnect). */
  get streamId(): string | undefined {
    return this.#streamId;
  }

  /**
   * Parse one text message from Vobiz.
   *
   * @param message - One WebSocket text frame, as received.
   * @returns The decoded event (see the class); `media` audio is a fresh `Int16Array`.
   * @throws {@link ProviderProtocolError} with code `message_too_large` (over 96 KiB),
   *   `malformed_json`, `invalid_message` (not an object, no `event`, fields missing or of the
   *   wrong type), `invalid_audio` (payload empty, not base64, over 1 s, or an odd number of
   *   bytes of L16), `duplicate_start` (a `start` for another call), `stream_mismatch` (a
   *   `streamId` other than the current stream's), `unsupported_encoding` (a `start` whose
   *   format Vobiz does not document, or a repeated `start` that changes it).
   */
  parse(message: string): ProviderEvent {
    const { msg, event } = readEventMessage(message, MAX_MESSAGE_CHARS, fail);
    switch (event) {
      case 'media':
        return this.#parseMedia(msg, message);
      case 'start':
        return this.#parseStart(msg, message);
      case 'playedStream': {
        const m = validateMessage(vobizPlayedStreamSchema, msg, message, fail);
        assertSameStream(fail, this.#streamId, m.streamId, message);
        return { type: 'mark', name: m.name };
      }
      case 'clearedAudio': {
        const m = validateMessage(vobizClearedAudioSchema, msg, message, fail);
        assertSameStream(fail, this.#streamId, m.streamId, message);
        return { type: 'cleared' };
      }
      case 'dtmf': {
        const m = validateMessage(vobizDtmfSchema, msg, message, fail);
        assertSameStream(fail, this.#streamId, m.streamId, message);
        return { type: 'dtmf', digit: m.dtmf.digit };
      }
      case 'stop': {
        const m = validateMessage(vobizStopSchema, msg, message, fail);
        assertSameStream(fail, this.#streamId, m.streamId, message);
        return { type: 'stop' };
      }
      default:
        return { type: 'unknown', event: event.slice(0, MAX_EVENT_NAME_CHARS) };
    }
  }

  /**
   * The `playAudio` message that plays `pcm`.
   *
   * @param pcm - 16-bit signed mono PCM at the stream's rate, normally one 20 ms chunk; any
   *   non-zero length is accepted (Vobiz queues what it is sent).
   * @param sampleRateHz - Must be {@link sampleRateHz}.
   * @returns `{"event":"playAudio","media":{"contentType":"audio/x-mulaw","sampleRate":8000,"payload":"…"}}`,
   *   the payload µ-law or little-endian L16 as `start` announced.
   * @throws {@link ProviderProtocolError} `not_started`, `unsupported_sample_rate`,
   *   `invalid_audio` (empty `pcm`).
   */
  encodeAudio(pcm: Int16Array, sampleRateHz: number): string {
    const prefix = this.#playPrefix;
    if (prefix === undefined) throw notStarted(fail, 'playAudio');
    const format = this.#format;
    if (sampleRateHz !== format.sampleRateHz) {
      throw fail(
        'unsupported_sample_rate',
        `outbound audio is ${sampleRateHz} Hz, the stream is ${format.sampleRateHz} Hz`,
      );
    }
    if (pcm.length === 0) throw fail('invalid_audio', 'outbound audio chunk is empty');
    const payload = format.encoding === 'mulaw' ? mulawBase64(pcm) : encodeBase64(pcmToBytes(pcm));
    return `${prefix}${payload}"}}`;
  }

  /**
   * The `checkpoint` message; Vobiz answers `playedStream` with the same name (a `mark` event)
   * once the audio sent before it has played, and never when that audio was cleared or the
   * call dropped (https://docs.vobiz.ai/xml/stream/checkpoint-event): wait with a timeout.
   *
   * @returns `{"event":"checkpoint","streamId":"…","name":"<name>"}`.
   * @throws {@link ProviderProtocolError} `not_started`.
   */
  encodeMark(name: string): string {
    const streamId = this.#streamId;
    if (streamId === undefined) throw notStarted(fail, 'checkpoint');
    return JSON.stringify({ event: 'checkpoint', streamId, name });
  }

  /**
   * The `clearAudio` message: Vobiz drops the audio it has queued and answers `clearedAudio`
   * (a `cleared` event).
   *
   * @returns `{"event":"clearAudio","streamId":"…"}`.
   * @throws {@link ProviderProtocolError} `not_started`.
   */
  encodeClear(): string {
    const streamId = this.#streamId;
    if (streamId === undefined) throw notStarted(fail, 'clearAudio');
    return JSON.stringify({ event: 'clearAudio', streamId });
  }

  /**
   * The `stop` message that ends the stream from our side: Vobiz drops queued audio, closes the
   * socket and runs the XML after `<Stream>`, or hangs up when there is none. To say goodbye,
   * send the audio and a checkpoint, await its `mark`, then this.
   *
   * @returns `{"event":"stop","streamId":"…"}`, or `undefined` before `start` (close the socket).
   */
  encodeHangup(): string | undefined {
    const streamId = this.#streamId;
    return streamId === undefined ? undefined : JSON.stringify({ event: 'stop', streamId });
  }

  #parseMedia(msg: JsonObject, raw: string): ProviderEvent {
    const format = this.#format;
    const pcm16 = format.encoding === 'pcm16';
    const maxBytes = pcm16 ? format.sampleRateHz * 2 : format.sampleRateHz;
    const media = checkVobizMedia(msg, maxBytes, pcm16 ? 2 : 1);
    if ('problem' in media) throw fail(media.problem, media.detail, raw);
    assertSameStream(fail, this.#streamId, media.streamId, raw);
    return {
      type: 'media',
      audio: pcm16 ? pcm16FromWire(media.bytes, this.#inboundBigEndian) : mulawToPcm(media.bytes),
      sampleRateHz: format.sampleRateHz,
      sequence: media.sequence,
    };
  }

  #parseStart(msg: JsonObject, raw: string): ProviderEvent {
    const m = validateMessage(vobizStartSchema, msg, raw, fail);
    const { start } = m;
    const { encoding, sampleRate } = start.mediaFormat;
    const format = vobizWireFormat(encoding, sampleRate);
    if (format === undefined) {
      throw fail(
        'unsupported_encoding',
        `stream format ${JSON.stringify(encoding.slice(0, 40))} at ${sampleRate ?? '?'} Hz; expected audio/x-mulaw at 8000 Hz or audio/x-l16 at 8000, 16000 or 24000 Hz`,
        raw,
      );
    }
    if (this.#callId !== undefined) {
      if (start.callId !== this.#callId)
        throw fail('duplicate_start', 'start for another call on the stream', raw);
      if (
        format.wireEncoding !== this.#format.wireEncoding ||
        format.sampleRateHz !== this.#format.sampleRateHz
      ) {
        throw fail('unsupported_encoding', 'a repeated start changes the stream format', raw);
      }
    }
    this.#callId = start.callId;
    this.#streamId = start.streamId;
    this.#format = format;
    this.#playPrefix = `{"event":"playAudio","media":{"contentType":"${format.wireEncoding}","sampleRate":${format.sampleRateHz},"payload":"`;
    return {
      type: 'start',
      streamId: start.streamId,
      callId: start.callId,
      ...(start.accountId !== undefined && { accountId: String(start.accountId) }),
      customParameters: parseExtraHeaders(m),
      mediaFormat: { encoding: format.encoding, sampleRateHz: format.sampleRateHz, channels: 1 },
      ...(start.tracks !== undefined && { tracks: start.tracks }),
    };
  }
}

/**
 * `extra_headers` (`"agentId=supportbot,tenant=acme"`) as parameters: pairs split on `,` or
 * `;`, each at its first `=`, trimmed; pieces without `=` or with an empty name are skipped.
 */
function parseExtraHeaders(m: VobizStartMessage): Record<string, string> {
  const text = m.extra_headers ?? m.start.extra_headers ?? '';
  const pairs: Array<[string, string]> = [];
  for (const piece of text.split(/[,;]/)) {
    const at = piece.indexOf('=');
    const key = at < 0 ? '' : piece.slice(0, at).trim();
    if (key !== '') pairs.push([key, piece.slice(at + 1).trim()]);
  }
  // fromEntries defines own data properties, so a `__proto__` name stays a plain key.
  return Object.fromEntries(pairs);
}

const fail = protocolFailure('vobiz', 'Vobiz audio stream');
