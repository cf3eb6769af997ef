import { randomUUID } from 'node:crypto';
import { mulawToPcm, pcmFromBytes, pcmToMulaw } from '@parley/pipeline';
import {
  CallSimulator,
  type CallSimulatorOptions,
  type ReceivedMessage,
  stringAt,
} from './call-simulator.ts';

/** The stream encodings {@link VobizCallSimulator} offers (`contentType` of `<Stream>`, at 8000 Hz). */
export type VobizEncoding = 'audio/x-mulaw' | 'audio/x-l16';

/** Options of {@link VobizCallSimulator}. */
export interface VobizCallSimulatorOptions extends CallSimulatorOptions {
  /** Sent as `extra_headers` on `start`, `k=v,k2=v2` (what `<Stream extraHeaders>` would carry). */
  readonly customParameters?: Record<string, string>;
  /** `start.callId` (the CallUUID); default a random UUID. */
  readonly callId?: string;
  /** `start.streamId`; default a random UUID. */
  readonly streamId?: string;
  /** `start.mediaFormat.encoding`; default `audio/x-mulaw`. L16 is sent big-endian, as Vobiz does. */
  readonly encoding?: VobizEncoding;
  /** How many 20 ms silent `media` messages to send right before `start` (seen in the field); default 0. */
  readonly mediaBeforeStart?: number;
}

const ACCOUNT_ID = '100234';

/**
 * Plays the Vobiz side of a bidirectional Audio Stream against a Parley server: sends `start`
 * (no `connected`), 20 ms 8 kHz mono `media` frames in real time (µ-law, or 16-bit big-endian
 * PCM for `audio/x-l16`) and never a `stop` (the caller hanging up closes the socket); plays the
 * server's `playAudio` (µ-law, or 16-bit little-endian PCM; its `contentType` and `sampleRate`
 * must match the stream, else it is recorded in `protocolErrors` and not played) on an emulated
 * phone in real time, answers `checkpoint` with `playedStream` once the audio before it was
 * played (never for cleared audio), answers `clearAudio` with `clearedAudio` after dropping the
 * queue, and closes the socket on the server's `stop`. `heard` and `streamAudio` use 8 kHz PCM.
 * Protocol: https://docs.vobiz.ai/xml/stream/stream-events ,
 * https://docs.vobiz.ai/xml/stream/checkpoint-event
 */
export class VobizCallSimulator extends CallSimulator {
  readonly callId: string;
  readonly streamId: string;
  readonly encoding: VobizEncoding;
  /** What the server sent that real Vobiz would not play or understand, in order. */
  readonly protocolErrors: string[] = [];
  private seq = 0;
  private chunk = 0;

  constructor(private readonly vobiz: VobizCallSimulatorOptions) {
    super(vobiz, { sampleRateHz: 8000, frameMs: 20 });
    this.callId = vobiz.callId ?? randomUUID();
    this.streamId = vobiz.streamId ?? randomUUID();
    this.encoding = vobiz.encoding ?? 'audio/x-mulaw';
  }

  /** Send `start` (after `mediaBeforeStart` silent frames, sent at once). */
  start(): void {
    const silence = new Int16Array((this.sampleRateHz * this.frameMs) / 1000);
    for (let i = 0; i < (this.vobiz.mediaBeforeStart ?? 0); i++) this.sendFrame(silence);
    const params = Object.entries(this.vobiz.customParameters ?? {});
    this.sendJson({
      event: 'start',
      sequenceNumber: ++this.seq,
      start: {
        callId: this.callId,
        streamId: this.streamId,
        accountId: ACCOUNT_ID,
        tracks: ['inbound'],
        mediaFormat: { encoding: this.encoding, sampleRate: this.sampleRateHz },
      },
      ...(params.length > 0 ? { extra_headers: params.map(([k, v]) => `${k}=${v}`).join(',') } : {}),
    });
  }

  /** Send a `dtmf` event, in Plivo's shape (Vobiz's is undocumented). */
  sendDtmf(digit: string): void {
    this.sendJson({ event: 'dtmf', sequenceNumber: ++this.seq, streamId: this.streamId, dtmf: { digit } });
  }

  /** The caller hangs up: Vobiz just closes the socket. */
  hangUp(): void {
    this.close();
  }

  protected sendFrame(pcm: Int16Array): void {
    const bytes = this.encoding === 'audio/x-mulaw' ? pcmToMulaw(pcm) : bigEndianBytes(pcm);
    this.sendJson({
      event: 'media',
      sequenceNumber: ++this.seq,
      streamId: this.streamId,
      media: {
        track: 'inbound',
        timestamp: String(Date.now()),
        chunk: ++this.chunk,
        payload: Buffer.from(bytes).toString('base64'),
      },
    });
  }

  protected onServerMessage({ event, raw }: ReceivedMessage): void {
    if (event === 'playAudio') this.playAudio(raw);
    else if (event === 'checkpoint') {
      const name = stringAt(raw, 'name') ?? '';
      this.whenPlayed(name, () => this.sendJson({ event: 'playedStream', name }));
    } else if (event === 'clearAudio') {
      this.clearPlayback();
      this.sendJson({ event: 'clearedAudio', streamId: this.streamId, sequenceNumber: ++this.seq });
    } else if (event === 'stop') {
      this.close();
    }
  }

  private playAudio(raw: Record<string, unknown>): void {
    const media = (typeof raw.media === 'object' && raw.media !== null ? raw.media : {}) as Record<
      string,
      unknown
    >;
    if (media.contentType !== this.encoding || media.sampleRate !== this.sampleRateHz) {
      this.protocolErrors.push(
        `playAudio ${String(media.contentType)}@${String(media.sampleRate)} on a ${this.encoding}@${this.sampleRateHz} stream`,
      );
      return;
    }
    const bytes = new Uint8Array(Buffer.from(stringAt(raw, 'media', 'payload') ?? '', 'base64'));
    if (this.encoding === 'audio/x-mulaw') this.play(mulawToPcm(bytes));
    else if (bytes.byteLength % 2 !== 0)
      this.protocolErrors.push(`playAudio L16 of ${bytes.byteLength} bytes`);
    else this.play(pcmFromBytes(bytes));
  }
}

/** 16-bit PCM in network byte order, as Vobiz sends inbound L16. */
function bigEndianBytes(pcm: Int16Array): Uint8Array {
  const out = Buffer.alloc(pcm.length * 2);
  for (let i = 0; i < pcm.length; i++) out.writeInt16BE(pcm[i]!, i * 2);
  return out;
}
