import { randomBytes } from 'node:crypto';
import { mulawToPcm, pcmToMulaw } from '@parley/pipeline';
import {
  CallSimulator,
  type CallSimulatorOptions,
  type ReceivedMessage,
  stringAt,
} from './call-simulator.ts';

export type { ReceivedMessage } from './call-simulator.ts';

/** Options of {@link TwilioCallSimulator}. */
export interface TwilioCallSimulatorOptions extends CallSimulatorOptions {
  /** `start.customParameters` (what `<Parameter>`s would carry). */
  readonly customParameters?: Record<string, string>;
  /** `start.callSid`; default a random `CA` + 32 hex digits. */
  readonly callSid?: string;
  /** `streamSid`; default a random `MZ` + 32 hex digits. */
  readonly streamSid?: string;
}

const ACCOUNT_SID = 'AC00000000000000000000000000000001';

/**
 * Plays the Twilio side of a Media Streams call against a Parley server: sends `connected`,
 * `start`, 20 ms µ-law 8 kHz `media` frames in real time, `dtmf`, `stop`; emulates the phone's
 * playback of the bot's audio (a real-time queue), echoes each `mark` when the audio before it
 * was played, and honours `clear` (drops queued audio and echoes the pending marks, as Twilio
 * does). `heard` and `streamAudio` use 8 kHz PCM.
 * Protocol: https://www.twilio.com/docs/voice/media-streams/websocket-messages
 */
export class TwilioCallSimulator extends CallSimulator {
  readonly callSid: string;
  readonly streamSid: string;
  private seq = 0;
  private chunk = 0;
  private mediaTimestampMs = 0;

  constructor(private readonly twilio: TwilioCallSimulatorOptions) {
    super(twilio, { sampleRateHz: 8000, frameMs: 20 });
    this.callSid = twilio.callSid ?? `CA${randomBytes(16).toString('hex')}`;
    this.streamSid = twilio.streamSid ?? `MZ${randomBytes(16).toString('hex')}`;
  }

  /** Send `connected` and `start` (µ-law, 8000 Hz, mono). */
  start(): void {
    this.sendJson({ event: 'connected', protocol: 'Call', version: '1.0.0' });
    this.sendJson({
      event: 'start',
      sequenceNumber: String(++this.seq),
      streamSid: this.streamSid,
      start: {
        streamSid: this.streamSid,
        accountSid: ACCOUNT_SID,
        callSid: this.callSid,
        tracks: ['inbound'],
        customParameters: this.twilio.customParameters ?? {},
        mediaFormat: { encoding: 'audio/x-mulaw', sampleRate: 8000, channels: 1 },
      },
    });
  }

  /** Send a `dtmf` event for one key press. */
  sendDtmf(digit: string): void {
    this.sendJson({
      event: 'dtmf',
      sequenceNumber: String(++this.seq),
      streamSid: this.streamSid,
      dtmf: { track: 'inbound_track', digit },
    });
  }

  /** Send `stop` (the caller hung up) and close the socket. */
  stop(): void {
    this.sendJson({
      event: 'stop',
      sequenceNumber: String(++this.seq),
      streamSid: this.streamSid,
      stop: { accountSid: ACCOUNT_SID, callSid: this.callSid },
    });
    this.close();
  }

  /** The caller hangs up: {@link stop}. */
  hangUp(): void {
    this.stop();
  }

  protected sendFrame(pcm: Int16Array): void {
    this.mediaTimestampMs += this.frameMs;
    this.sendJson({
      event: 'media',
      sequenceNumber: String(++this.seq),
      streamSid: this.streamSid,
      media: {
        track: 'inbound',
        chunk: String(++this.chunk),
        timestamp: String(this.mediaTimestampMs),
        payload: Buffer.from(pcmToMulaw(pcm)).toString('base64'),
      },
    });
  }

  protected onServerMessage({ event, raw }: ReceivedMessage): void {
    if (event === 'media') {
      const payload = stringAt(raw, 'media', 'payload') ?? '';
      this.play(mulawToPcm(new Uint8Array(Buffer.from(payload, 'base64'))));
    } else if (event === 'mark') {
      const name = stringAt(raw, 'mark', 'name') ?? '';
      this.whenPlayed(name, () => this.echoMark(name));
    } else if (event === 'clear') {
      // Twilio echoes the marks still pending when its buffer is cleared.
      for (const name of this.clearPlayback()) this.echoMark(name);
    }
  }

  private echoMark(name: string): void {
    this.sendJson({
      event: 'mark',
      sequenceNumber: String(++this.seq),
      streamSid: this.streamSid,
      mark: { name },
    });
  }
}
