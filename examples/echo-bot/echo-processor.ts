import { type Direction, type Frame, FrameProcessor, frame, type HandlerResult } from '@parley/pipeline';

/** Options of {@link EchoProcessor}. */
export interface EchoProcessorOptions {
  /** Audio kept from before the VAD's speech start (it reports speech `startSecs` late), ms. Default 500. */
  readonly preRollMs?: number;
  /** Longest utterance played back (older audio is dropped), ms. Default 30000. */
  readonly maxUtteranceMs?: number;
}

/**
 * Plays the caller's last utterance back. Place it after a `VADProcessor`, whose raw speech edges
 * it follows: it keeps the caller's `input_audio` from `preRollMs` before
 * `vad_user_started_speaking` until `vad_user_stopped_speaking`, then pushes that audio
 * downstream as one `output_audio` frame (16-bit mono PCM at the input rate, so the pipeline's
 * input and output rates must be equal). When the caller starts speaking it also pushes an
 * `interruption`, which stops an echo still playing (barge-in). Every frame is forwarded.
 */
export class EchoProcessor extends FrameProcessor {
  private readonly preRollMs: number;
  private readonly maxUtteranceMs: number;
  private chunks: Int16Array[] = [];
  private bufferedSamples = 0;
  private speaking = false;
  private sampleRateHz = 8000;

  constructor(options: EchoProcessorOptions = {}) {
    super('EchoProcessor');
    this.preRollMs = options.preRollMs ?? 500;
    this.maxUtteranceMs = options.maxUtteranceMs ?? 30_000;
  }

  protected override processFrame(f: Frame, direction: Direction): HandlerResult {
    this.push(f, direction);
    if (f.type === 'input_audio') this.keep(f.audio, f.sampleRateHz);
    else if (f.type === 'vad_user_started_speaking') {
      this.speaking = true;
      this.push(frame('interruption')); // the output transport drops the echo it is playing
    } else if (f.type === 'vad_user_stopped_speaking') {
      this.speaking = false;
      this.playBack();
    }
  }

  /** Buffers audio, keeping at most the pre-roll while the caller is silent. */
  private keep(audio: Int16Array, sampleRateHz: number): void {
    this.sampleRateHz = sampleRateHz;
    this.chunks.push(audio);
    this.bufferedSamples += audio.length;
    const limitMs = this.speaking ? this.maxUtteranceMs : this.preRollMs;
    const limitSamples = (limitMs * sampleRateHz) / 1000;
    while (this.bufferedSamples - this.chunks[0]!.length >= limitSamples) {
      this.bufferedSamples -= this.chunks.shift()!.length;
    }
  }

  private playBack(): void {
    const audio = new Int16Array(this.bufferedSamples);
    let offset = 0;
    for (const chunk of this.chunks) {
      audio.set(chunk, offset);
      offset += chunk.length;
    }
    this.chunks = [];
    this.bufferedSamples = 0;
    if (audio.length === 0) return;
    this.push(frame('output_audio', { audio, sampleRateHz: this.sampleRateHz, channels: 1 }));
  }
}
