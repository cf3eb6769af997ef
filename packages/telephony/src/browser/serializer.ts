import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { notStarted, protocolFailure, readEventMessage, validateMessage } from '../json-message.ts';
import type { ProviderEvent, TelephonySerializer } from '../types.ts';
import {
  BROWSER_FRAME_MS,
  BROWSER_SAMPLE_RATE_HZ,
  type BrowserServerMessage,
  type BrowserTranscriptLine,
  MAX_BROWSER_AUDIO_BYTES,
} from './protocol.ts';

/** Longest text message we parse, characters: control messages are a few dozen. */
const MAX_MESSAGE_CHARS = 4096;
/** Longest mark name we take back, characters (ours are short). */
const MAX_MARK_NAME_CHARS = 256;

const startSchema = z.looseObject({ event: z.literal('start') });
const markSchema = z.looseObject({
  event: z.literal('mark'),
  name: z.string().min(1).max(MAX_MARK_NAME_CHARS),
});
const stopSchema = z.looseObject({ event: z.literal('stop') });

const fail = protocolFailure('browser', 'Browser test call');

/**
 * The dashboard's test-call protocol (see `protocol.ts` for every message), one instance per
 * call. Binary messages carry 16 kHz 16-bit little-endian mono PCM both ways; text messages are
 * JSON control messages. The stream id is made up here at `start` (the browser has none).
 *
 * @example
 * ```ts
 * const serializer = new BrowserSerializer();
 * ws.on('message', (data, isBinary) => {
 *   const event = isBinary ? serializer.parseBinary(data) : serializer.parse(data.toString());
 *   if (event.type === 'media') input.pushAudio(event.audio, event.sampleRateHz);
 * });
 * ws.send(serializer.encodeAudio(chunk, 16000));
 * ```
 */
export class BrowserSerializer implements TelephonySerializer {
  /** Always `browser`. */
  readonly provider = 'browser' as const;
  /** The page says `stop` when the caller hangs up; a socket closing without it is a lost connection. */
  readonly sendsStop = true;
  /** 20 ms frames (640 bytes): small enough that `clear` is prompt. */
  readonly outputChunkMs = BROWSER_FRAME_MS;
  /** 16 000 Hz, in and out. */
  readonly sampleRateHz = BROWSER_SAMPLE_RATE_HZ;

  #streamId: string | undefined;
  /** Samples received since `start`, for media timestamps. */
  #samples = 0;

  /** The stream id made up at `start`; `undefined` before. */
  get streamId(): string | undefined {
    return this.#streamId;
  }

  /**
   * Parse one text (control) message from the page.
   * @returns `start` (once; its `mediaFormat` is 16-bit PCM at 16 kHz, mono), `mark`, `stop`,
   *   or `unknown` for a well-formed message with another `event`.
   * @throws {@link ProviderProtocolError} `message_too_large`, `message_too_deep`,
   *   `malformed_json`, `invalid_message`, `duplicate_start`.
   */
  parse(message: string): ProviderEvent {
    const { msg, event } = readEventMessage(message, MAX_MESSAGE_CHARS, fail);
    switch (event) {
      case 'start': {
        validateMessage(startSchema, msg, message, fail);
        if (this.#streamId !== undefined) throw fail('duplicate_start', 'a second start message', message);
        this.#streamId = `browser-${randomUUID()}`;
        return {
          type: 'start',
          streamId: this.#streamId,
          callId: '',
          customParameters: {},
          mediaFormat: { encoding: 'pcm16', sampleRateHz: BROWSER_SAMPLE_RATE_HZ, channels: 1 },
        };
      }
      case 'mark':
        return { type: 'mark', name: validateMessage(markSchema, msg, message, fail).name };
      case 'stop':
        validateMessage(stopSchema, msg, message, fail);
        return { type: 'stop' };
      default:
        return { type: 'unknown', event: event.slice(0, 64) };
    }
  }

  /**
   * Parse one binary (audio) message from the page: 16-bit little-endian PCM at 16 kHz.
   * @returns a `media` event (`timestampMs`: the stream time of its first sample).
   * @throws {@link ProviderProtocolError} `media_before_start`; `invalid_audio` when it is empty,
   *   over 1 s, or has an odd number of bytes.
   */
  parseBinary(data: Uint8Array): ProviderEvent {
    if (this.#streamId === undefined) throw fail('media_before_start', 'audio before the start message');
    const bytes = data.byteLength;
    if (bytes === 0) throw fail('invalid_audio', 'an empty audio message');
    if (bytes > MAX_BROWSER_AUDIO_BYTES) {
      throw fail(
        'invalid_audio',
        `an audio message of ${bytes} bytes, over 1 s (${MAX_BROWSER_AUDIO_BYTES})`,
      );
    }
    if (bytes % 2 !== 0) throw fail('invalid_audio', `an odd number of bytes (${bytes}) of 16-bit audio`);
    const view = new DataView(data.buffer, data.byteOffset, bytes);
    const audio = new Int16Array(bytes / 2);
    for (let i = 0; i < audio.length; i++) audio[i] = view.getInt16(2 * i, true);
    const timestampMs = Math.round((this.#samples * 1000) / BROWSER_SAMPLE_RATE_HZ);
    this.#samples += audio.length;
    return { type: 'media', audio, sampleRateHz: BROWSER_SAMPLE_RATE_HZ, timestampMs };
  }

  /**
   * The binary message that plays `pcm` (16-bit mono at 16 kHz): its samples, little-endian.
   * @throws {@link ProviderProtocolError} `not_started`, `unsupported_sample_rate`,
   *   `invalid_audio` (empty).
   */
  encodeAudio(pcm: Int16Array, sampleRateHz: number): Uint8Array {
    if (this.#streamId === undefined) throw notStarted(fail, 'audio');
    if (sampleRateHz !== BROWSER_SAMPLE_RATE_HZ) {
      throw fail(
        'unsupported_sample_rate',
        `audio at ${sampleRateHz} Hz; the stream is ${BROWSER_SAMPLE_RATE_HZ} Hz`,
      );
    }
    if (pcm.length === 0) throw fail('invalid_audio', 'an empty audio chunk');
    const out = new Uint8Array(pcm.length * 2);
    const view = new DataView(out.buffer);
    for (let i = 0; i < pcm.length; i++) view.setInt16(2 * i, pcm[i]!, true);
    return out;
  }

  /**
   * `{"event":"mark","name":…}`: the page echoes it once the audio before it has played.
   * @throws {@link ProviderProtocolError} `not_started`.
   */
  encodeMark(name: string): string {
    if (this.#streamId === undefined) throw notStarted(fail, 'a mark');
    return encode({ event: 'mark', name });
  }

  /**
   * `{"event":"clear"}`: the page drops the bot audio it has not played (barge-in).
   * @throws {@link ProviderProtocolError} `not_started`.
   */
  encodeClear(): string {
    if (this.#streamId === undefined) throw notStarted(fail, 'a clear');
    return encode({ event: 'clear' });
  }

  /** `{"event":"transcript","role","text","final"}`: a line of the live transcript. */
  encodeTranscript(line: BrowserTranscriptLine): string {
    return encode({ event: 'transcript', role: line.role, text: line.text, final: line.final });
  }

  /** `{"event":"error","code","message"}`: a message of the page was refused; the call goes on. */
  encodeError(code: string, message: string): string {
    return encode({ event: 'error', code, message });
  }
}

function encode(message: BrowserServerMessage): string {
  return JSON.stringify(message);
}
