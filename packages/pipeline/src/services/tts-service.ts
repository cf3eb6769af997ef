import { createResampler, type StreamingResampler } from '../audio/resampler.ts';
import { type Frame, frame, type StartFrame } from '../frames/frames.ts';
import { type Direction, FrameProcessor, type HandlerResult } from '../processors/frame-processor.ts';
import { metric } from './metrics.ts';

/**
 * Base class of TTS services. Each `tts_speak` frame is synthesized in order: the service
 * pushes `tts_started` (with a fresh `contextId` and the text), `output_audio` chunks tagged
 * with that id, and `tts_stopped`; metrics `ttfb` (ms to the first audio) and `characters`.
 * Audio is resampled to the start frame's `outputSampleRateHz` when the engine's rate differs.
 * An interruption aborts the synthesis in flight and drops the queued sentences.
 * Subclasses implement {@link synthesize} and {@link sampleRateHz}.
 */
export abstract class TTSService extends FrameProcessor {
  private utterances = 0;
  private outputRateHz = 0;
  private resampler: StreamingResampler | undefined;

  /** Sample rate of the audio {@link synthesize} yields, Hz. */
  abstract readonly sampleRateHz: number;

  /** Yield 16-bit mono PCM chunks of `text` at {@link sampleRateHz}; stop when `signal` aborts. */
  protected abstract synthesize(text: string, signal: AbortSignal): AsyncIterable<Int16Array>;

  protected override async onStart(f: StartFrame): Promise<void> {
    this.outputRateHz = f.audio.outputSampleRateHz;
    if (this.sampleRateHz !== this.outputRateHz) {
      this.resampler = await createResampler(this.sampleRateHz, this.outputRateHz);
    }
  }

  protected override onStop(): HandlerResult {
    this.resampler?.dispose();
    this.resampler = undefined;
  }

  protected override processFrame(f: Frame, direction: Direction, signal: AbortSignal): HandlerResult {
    if (f.type === 'tts_speak') return this.speak(f.text, signal);
    this.push(f, direction);
  }

  private async speak(text: string, signal: AbortSignal): Promise<void> {
    const trimmed = text.trim();
    if (!trimmed) return;
    const contextId = `${this.name}-${++this.utterances}`;
    const t0 = performance.now();
    let first = true;
    this.push(frame('tts_started', { contextId, text: trimmed }));
    this.push(metric(this.name, 'characters', trimmed.length, 'chars'));
    try {
      for await (const audio of this.synthesize(trimmed, signal)) {
        if (signal.aborted) return;
        if (first) {
          first = false;
          this.push(metric(this.name, 'ttfb', performance.now() - t0, 'ms'));
        }
        this.emit(this.resampler ? this.resampler.process(audio) : audio, contextId);
      }
      if (this.resampler) this.emit(this.resampler.flush(), contextId);
    } finally {
      if (signal.aborted) this.resampler?.flush(); // drop the aborted sentence's filter state
    }
    if (!signal.aborted) this.push(frame('tts_stopped', { contextId }));
  }

  private emit(audio: Int16Array, contextId: string): void {
    if (audio.length === 0) return;
    this.push(frame('output_audio', { audio, sampleRateHz: this.outputRateHz, channels: 1, contextId }));
  }
}
