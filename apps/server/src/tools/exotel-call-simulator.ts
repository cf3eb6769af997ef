import { randomBytes } from 'node:crypto';
import { pcmFromBytes, pcmToBytes } from '@parley/pipeline';
import {
  CallSimulator,
  type CallSimulatorOptions,
  type ReceivedMessage,
  stringAt,
} from './call-simulator.ts';

/** Options of {@link ExotelCallSimulator}. */
export interface ExotelCallSimulatorOptions extends CallSimulatorOptions {
  /**
   * `start.custom_parameters`. Exotel also appends them to the URL's query string; put them
   * in `url` yourself if the server reads them there.
   */
  readonly customParameters?: Record<string, string>;
  /** `start.call_sid`; default 32 random hex digits. */
  readonly callSid?: string;
  /** `stream_sid`; default 32 random hex digits. */
  readonly streamSid?: string;
  /**
   * Stream rate, Hz: 8000 (default), 16000 or 24000. Exotel takes it from the applet URL's
   * `?sample-rate=`; this does not add it to `url`.
   */
  readonly sampleRateHz?: 8000 | 16000 | 24000;
  /**
   * Length of each inbound `media` chunk, ms; default 100 (Exotel sends "every ~100 ms":
   * 1600 bytes at 8 kHz). Exotel's docs also call 3200 bytes "100 ms", which is 200 ms at
   * 8 kHz 16-bit; pass 200 to get 3200-byte chunks.
   */
  readonly chunkMs?: number;
  /** Send the camelCase variant (`streamSid`, `callSid`, no sequence numbers) of Exotel's Connect path. */
  readonly camelCase?: boolean;
}

const ACCOUNT_SID = 'acmecorp1';
const FROM = '+919876543210';
const TO = '+918047491899';

/**
 * Plays the Exotel side of an AgentStream (Voicebot applet) call against a Parley server: sends
 * `connected`, `start` (snake_case, or camelCase with `camelCase: true`), `media` chunks of
 * base64 16-bit little-endian mono PCM at the stream rate (`chunkMs`, 100 ms = 1600 bytes at
 * 8 kHz by default) in real time, `dtmf` and `stop`; plays the server's `media` (PCM16LE) on an emulated phone in real time,
 * echoes each `mark` when the audio before it was played, and honours `clear`. Marks pending at
 * a `clear` are dropped without an echo, because whether Exotel echoes them is unverified.
 * `heard` and `streamAudio` use PCM at `sampleRateHz`.
 * Protocol: https://developer.exotel.com/docs/agentstream/websocket-protocol
 */
export class ExotelCallSimulator extends CallSimulator {
  readonly callSid: string;
  readonly streamSid: string;
  /**
   * Decoded byte length of each `media` payload received, in order (aligned with
   * `messages('media')`). Exotel wants multiples of 320 bytes, 3200..100000 bytes each.
   */
  readonly receivedChunkBytes: number[] = [];
  private seq = 0;
  private chunk = 0;

  constructor(private readonly exotel: ExotelCallSimulatorOptions) {
    super(exotel, { sampleRateHz: exotel.sampleRateHz ?? 8000, frameMs: exotel.chunkMs ?? 100 });
    this.callSid = exotel.callSid ?? randomBytes(16).toString('hex');
    this.streamSid = exotel.streamSid ?? randomBytes(16).toString('hex');
  }

  /** Send `connected` and `start` (`audio/x-raw`, 16-bit, at `sampleRateHz`). */
  start(): void {
    this.sendJson({ event: 'connected' });
    if (this.exotel.camelCase) {
      this.sendJson({
        event: 'start',
        streamSid: this.streamSid,
        start: {
          streamSid: this.streamSid,
          callSid: this.callSid,
          accountSid: ACCOUNT_SID,
          from: FROM,
          to: TO,
        },
      });
      return;
    }
    this.sendJson({
      event: 'start',
      ...this.header(),
      start: {
        stream_sid: this.streamSid,
        call_sid: this.callSid,
        account_sid: ACCOUNT_SID,
        from: FROM,
        to: TO,
        custom_parameters: this.exotel.customParameters ?? {},
        media_format: { encoding: 'audio/x-raw', sample_rate: String(this.sampleRateHz), bit_rate: '16' },
      },
    });
  }

  /** Send a `dtmf` event for one key press held `durationMs`. */
  sendDtmf(digit: string, durationMs = 100): void {
    this.sendJson({ event: 'dtmf', ...this.header(), dtmf: { digit, duration: String(durationMs) } });
  }

  /** Send `stop` (reason `callended`: the caller hung up) and close the socket. */
  stop(): void {
    this.sendJson({
      event: 'stop',
      ...this.header(),
      stop: this.exotel.camelCase
        ? { callSid: this.callSid }
        : { call_sid: this.callSid, account_sid: ACCOUNT_SID, reason: 'callended' },
    });
    this.close();
  }

  /** The caller hangs up: {@link stop}. */
  hangUp(): void {
    this.stop();
  }

  protected sendFrame(pcm: Int16Array): void {
    this.chunk++;
    this.sendJson({
      event: 'media',
      ...this.header(),
      media: {
        chunk: String(this.chunk),
        timestamp: String(this.chunk * this.frameMs),
        payload: Buffer.from(pcmToBytes(pcm)).toString('base64'),
      },
    });
  }

  protected onServerMessage({ event, raw }: ReceivedMessage): void {
    if (event === 'media') {
      const bytes = new Uint8Array(Buffer.from(stringAt(raw, 'media', 'payload') ?? '', 'base64'));
      this.receivedChunkBytes.push(bytes.byteLength);
      // An odd trailing byte is not a sample; the length above still records the mistake.
      this.play(pcmFromBytes(bytes.subarray(0, bytes.byteLength & ~1)));
    } else if (event === 'mark') {
      const name = stringAt(raw, 'mark', 'name') ?? '';
      this.whenPlayed(name, () => this.sendJson({ event: 'mark', ...this.header(), mark: { name } }));
    } else if (event === 'clear') {
      this.clearPlayback();
    }
  }

  /** The id (and, in snake_case, the sequence number) every message after `connected` carries. */
  private header(): Record<string, string> {
    if (this.exotel.camelCase) return { streamSid: this.streamSid };
    return { sequence_number: String(++this.seq), stream_sid: this.streamSid };
  }
}
