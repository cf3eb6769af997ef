import { createResampler, type StreamingResampler } from '../audio/resampler.ts';
import {
  type Frame,
  type FrameType,
  frame,
  type MetricsFrame,
  type ServiceKind,
  type StartFrame,
  type WordTiming,
} from '../frames/frames.ts';
import {
  CALLER_AUDIO,
  type Direction,
  FrameProcessor,
  type FrameProcessorOptions,
  type HandlerResult,
} from '../processors/frame-processor.ts';
import { type MetricLabels, metric } from './metrics.ts';
import { withinResponseTimeout } from './response-timeout.ts';
import { type RetryOptions, retryUntilOutput } from './retry.ts';

/** Options shared by TTS services. */
export interface TTSServiceOptions extends FrameProcessorOptions {
  /**
   * Longest wait for a sentence's first audio, and between its chunks, ms (`Infinity` for
   * none). When it passes, the synthesis is aborted and fails with a `ServiceTimeoutError` (a
   * non-fatal `error` frame with `service: 'tts'`); the sentence ends with `tts_stopped`.
   * Default 5000.
   */
  readonly responseTimeoutMs?: number;
  /**
   * Retries of a synthesis that fails transiently (429, 5xx, connection error) before its first
   * audio, with backoff on the pipeline's clock; see {@link RetryOptions}. Default none: e.g.
   * `{ retries: 1 }`.
   */
  readonly retry?: RetryOptions;
}

/**
 * A piece of a synthesis: audio, and the timings of words the engine reported with it. Either
 * may be empty: engines send word timestamps in messages of their own, before or after the
 * audio they describe.
 */
export interface TTSAudioChunk {
  /** 16-bit mono PCM at the service's {@link TTSService.sampleRateHz}; may be empty. */
  readonly audio: Int16Array;
  /** Words of the utterance, ms from its first sample, in spoken order. */
  readonly words?: readonly WordTiming[];
}

/**
 * Base class of TTS services. Each `tts_speak` frame is synthesized in order: the service
 * pushes `tts_started` (with a fresh `contextId` and the text), `output_audio` chunks tagged
 * with that id, and `tts_stopped`; metrics `ttfb` (ms to the first audio) and `characters`,
 * labelled with {@link metricLabels}.
 * Audio is resampled to the start frame's `outputSampleRateHz` when the engine's rate differs
 * (engines that can synthesize at the call's rate should: read {@link outputSampleRateHz}).
 * Word timings an engine reports ride on the `output_audio` frames (`words`), so that the output
 * transport can tell which words the caller heard; timings that come without audio go out with
 * the next audio, or alone (an empty `output_audio`) before `tts_stopped`.
 * An interruption aborts the synthesis in flight and drops the queued sentences. A synthesis
 * that fails (or exceeds `responseTimeoutMs`) still ends with `tts_stopped`, and its error goes
 * upstream with `service: 'tts'`.
 * Subclasses implement {@link synthesize} and {@link sampleRateHz}.
 */
export abstract class TTSService extends FrameProcessor {
  private readonly responseTimeoutMs: number;
  private readonly retry: RetryOptions;
  private utterances = 0;
  private outputRateHz = 0;
  private resampler: StreamingResampler | undefined;

  /** Sample rate of the audio {@link synthesize} yields, Hz; read once the pipeline started. */
  abstract readonly sampleRateHz: number;

  /**
   * Yield the audio of `text` at {@link sampleRateHz}: 16-bit mono PCM chunks, or
   * {@link TTSAudioChunk}s carrying word timings too; stop when `signal` aborts.
   */
  protected abstract synthesize(text: string, signal: AbortSignal): AsyncIterable<Int16Array | TTSAudioChunk>;

  /** The rate the transport plays, Hz (the start frame's `outputSampleRateHz`; 0 before the start). */
  protected get outputSampleRateHz(): number {
    return this.outputRateHz;
  }

  /**
   * @param name Processor name (default: the class name).
   * @param options See {@link TTSServiceOptions}.
   * @throws RangeError when `responseTimeoutMs` is not > 0.
   */
  constructor(name?: string, options: TTSServiceOptions = {}) {
    super(name, options);
    this.responseTimeoutMs = options.responseTimeoutMs ?? 5000;
    if (!(this.responseTimeoutMs > 0)) throw new RangeError('responseTimeoutMs must be > 0');
    this.retry = options.retry ?? {};
  }

  /**
   * The provider and model named on this service's metrics, for usage accounting (e.g.
   * `{ provider: 'cartesia', model: 'sonic-2' }`). Default none: usage is then counted under the
   * processor's name. Vendor services override it.
   */
  metricLabels(): MetricLabels {
    return {};
  }

  /**
   * The synthesis of `text` as this service runs it for a sentence: each attempt bounded by
   * `responseTimeoutMs`, a transient failure before the first audio retried per `retry` (word
   * timings that came before it are dropped with the failed attempt). Yields what
   * {@link synthesize} yields, at {@link sampleRateHz} (not resampled); pushes no frames. An
   * entry point for composites that run the service without linking it into a pipeline
   * (`FailoverTTSService`); the service must have been started (its clock and output rate come
   * from the start frame).
   * @throws what {@link synthesize} throws, or a `ServiceTimeoutError`.
   */
  synthesizeChunks(text: string, signal: AbortSignal): AsyncIterable<Int16Array | TTSAudioChunk> {
    return retryUntilOutput(
      () => {
        const timeout = new AbortController();
        return withinResponseTimeout(this.synthesize(text, AbortSignal.any([signal, timeout.signal])), {
          timeoutMs: this.responseTimeoutMs,
          clock: this.clock,
          service: 'tts',
          source: this.name,
          abort: () => timeout.abort(),
        });
      },
      this.retry,
      { clock: this.clock, signal },
      (chunk) => (chunk instanceof Int16Array ? chunk : chunk.audio).length > 0,
    );
  }

  protected override get serviceKind(): ServiceKind {
    return 'tts';
  }

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

  protected override get forwardedFrameTypes(): readonly FrameType[] {
    return CALLER_AUDIO;
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
    this.pushUsage('characters', trimmed.length, 'chars');
    const audioChunks = this.synthesizeChunks(trimmed, signal);
    let completed = false;
    let words: WordTiming[] = [];
    try {
      for await (const chunk of audioChunks) {
        if (signal.aborted) return;
        const audio = chunk instanceof Int16Array ? chunk : chunk.audio;
        if (!(chunk instanceof Int16Array) && chunk.words) words.push(...chunk.words);
        if (audio.length === 0) continue;
        if (first) {
          first = false;
          this.pushUsage('ttfb', performance.now() - t0, 'ms');
        }
        if (this.emit(this.resampler ? this.resampler.process(audio) : audio, contextId, words)) words = [];
      }
      if (this.resampler) this.emit(this.resampler.flush(), contextId, []);
      if (words.length > 0) this.push(this.audioFrame(new Int16Array(0), contextId, words));
      completed = true;
    } finally {
      if (!completed) this.resampler?.flush(); // drop the unfinished sentence's filter state
      if (!signal.aborted) this.push(frame('tts_stopped', { contextId }));
    }
  }

  private pushUsage(name: string, value: number, unit: MetricsFrame['unit']): void {
    this.push(metric(this.name, name, value, unit, { service: 'tts', ...this.metricLabels() }));
  }

  /** Pushes `audio` (with `words`, if any) unless it is empty; true when it did. */
  private emit(audio: Int16Array, contextId: string, words: readonly WordTiming[]): boolean {
    if (audio.length === 0) return false;
    this.push(this.audioFrame(audio, contextId, words));
    return true;
  }

  private audioFrame(audio: Int16Array, contextId: string, words: readonly WordTiming[]) {
    const base = { audio, sampleRateHz: this.outputRateHz, channels: 1, contextId };
    return frame('output_audio', words.length > 0 ? { ...base, words } : base);
  }
}
