import { createResampler, type StreamingResampler } from '../audio/resampler.ts';
import { SampleFifo } from '../audio/sample-fifo.ts';
import { type Frame, frame, type StartFrame } from '../frames/frames.ts';
import { type Direction, FrameProcessor, type HandlerResult } from '../processors/frame-processor.ts';
import { metric } from '../services/metrics.ts';
import { SileroVad } from './silero.ts';
import type { VadAnalyzer, VadAnalyzerFactory } from './vad-analyzer.ts';
import { resolveVadParams, type VadParams } from './vad-params.ts';
import { VoiceActivityDetector, type VoiceActivityEvent } from './voice-activity-detector.ts';

/** Options of {@link VADProcessor}. */
export interface VADProcessorOptions {
  /** Overrides of the VAD parameters (defaults: confidence 0.7, startSecs 0.2, stopSecs 0.2, minVolume 0.6). */
  readonly params?: Partial<VadParams>;
  /** Makes the per-call analyzer for a sample rate, Hz. Default: Silero v5 (`SileroVad.create`). */
  readonly createAnalyzer?: VadAnalyzerFactory;
  /** Most audio waiting for analysis before the oldest is dropped, ms. Default 1000. */
  readonly maxBacklogMs?: number;
  /** Processor name. Default `VADProcessor`. */
  readonly name?: string;
}

/** Rates Silero runs at; other input rates are resampled to 16 kHz for analysis. */
const NATIVE_RATES_HZ = new Set([8000, 16000]);

const sileroFactory: VadAnalyzerFactory = (sampleRateHz) => SileroVad.create({ sampleRateHz });

/**
 * Detects when the caller starts and stops speaking (Pipecat-style VAD) and announces the raw
 * edges; a `UserTurnProcessor` after the STT decides turns and interruptions from them.
 *
 * - On `start`, makes the call's analyzer for the start frame's `audio.inputSampleRateHz`
 *   (Silero at 8 or 16 kHz; other rates are resampled to 16 kHz for analysis only).
 *   A failure there is fatal to the call (an error frame from `onStart`).
 * - `input_audio` frames (mono, at the input rate) are forwarded at once and unchanged; their
 *   samples are queued and analyzed window by window (32 ms), strictly in order, one inference
 *   at a time. At most `maxBacklogMs` waits: beyond it the oldest audio is dropped and counted
 *   ({@link droppedSamples}; reported as a `vad_dropped_samples` metric when the call ends).
 *   Audio frames of another rate or channel count are forwarded but not analyzed.
 * - Pushes downstream `vad_user_started_speaking` once `startSecs` of speech were heard, and
 *   `vad_user_stopped_speaking` after `stopSecs` of silence. It pushes no `user_*_speaking` and
 *   no `interruption`: those are turn decisions.
 * - An analyzer failure during the call sends one non-fatal error frame upstream and turns
 *   detection off for the rest of the call (audio keeps flowing).
 * - On `end`/`cancel`, releases the call's analyzer, resampler and buffers.
 */
export class VADProcessor extends FrameProcessor {
  private readonly params: VadParams;
  private readonly createAnalyzer: VadAnalyzerFactory;
  private readonly maxBacklogMs: number;
  private inputRateHz = 0;
  private detector: VoiceActivityDetector | undefined;
  private resampler: StreamingResampler | undefined;
  private fifo: SampleFifo | undefined;
  private window: Int16Array | undefined;
  private pumping = false;
  private failed = false;
  /** Bumped on stop so a late inference result of an old run is ignored. */
  private generation = 0;
  private dropped = 0;
  private idleWaiters: Array<() => void> = [];

  /**
   * @throws VadError `invalid_params` for VAD parameters out of range.
   * @throws RangeError when `maxBacklogMs` is not positive.
   */
  constructor(options: VADProcessorOptions = {}) {
    super(options.name ?? 'VADProcessor');
    this.params = resolveVadParams(options.params);
    this.createAnalyzer = options.createAnalyzer ?? sileroFactory;
    this.maxBacklogMs = options.maxBacklogMs ?? 1000;
    if (!(this.maxBacklogMs > 0)) throw new RangeError(`maxBacklogMs must be > 0, got ${this.maxBacklogMs}`);
  }

  /** True between `vad_user_started_speaking` and `vad_user_stopped_speaking`. */
  get speaking(): boolean {
    return this.detector?.speaking ?? false;
  }

  /** Samples (at the analysis rate) dropped this call because analysis fell behind. */
  get droppedSamples(): number {
    return this.dropped;
  }

  /** Resolves once every sample received so far has been analyzed (or analysis stopped). For tests and tools. */
  whenIdle(): Promise<void> {
    if (!this.pumping) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  protected override async onStart(f: StartFrame): Promise<void> {
    const rate = f.audio.inputSampleRateHz;
    const analysisRate = NATIVE_RATES_HZ.has(rate) ? rate : 16000;
    let analyzer: VadAnalyzer | undefined;
    try {
      if (analysisRate !== rate) this.resampler = await createResampler(rate, analysisRate);
      analyzer = await this.createAnalyzer(analysisRate);
      this.detector = new VoiceActivityDetector(analyzer, this.params);
    } catch (e) {
      analyzer?.dispose();
      this.release();
      throw e;
    }
    this.inputRateHz = rate;
    this.window = new Int16Array(analyzer.windowSamples);
    const backlog = Math.ceil((this.maxBacklogMs * analysisRate) / 1000);
    this.fifo = new SampleFifo(backlog + analyzer.windowSamples);
  }

  protected override processFrame(f: Frame, direction: Direction): HandlerResult {
    this.push(f, direction);
    if (f.type === 'input_audio' && direction === 'downstream') {
      if (f.sampleRateHz === this.inputRateHz && f.channels === 1) this.queueSamples(f.audio);
    }
  }

  protected override onStop(): HandlerResult {
    if (this.dropped > 0) this.push(metric(this.name, 'vad_dropped_samples', this.dropped, 'count'));
    this.release();
  }

  private queueSamples(audio: Int16Array): void {
    const fifo = this.fifo;
    const detector = this.detector;
    if (!fifo || !detector || this.failed) return;
    const samples = this.resampler ? this.resampler.process(audio) : audio;
    const lost = fifo.write(samples);
    if (lost > 0) {
      this.dropped += lost;
      detector.skip(lost);
    }
    if (!this.pumping && fifo.length >= detector.windowSamples) {
      this.pumping = true;
      const gen = this.generation;
      this.pump(gen, fifo, detector).catch((e: unknown) => this.analysisFailed(gen, e));
    }
  }

  /** Analyzes queued windows one at a time until fewer than a window is left. */
  private async pump(gen: number, fifo: SampleFifo, detector: VoiceActivityDetector): Promise<void> {
    const window = this.window!;
    try {
      while (gen === this.generation && fifo.read(window)) {
        const event = await detector.analyze(window);
        if (gen !== this.generation) return;
        if (event) this.announce(event);
      }
    } finally {
      if (gen === this.generation) this.pumpSettled();
    }
  }

  private announce(event: VoiceActivityEvent): void {
    this.push(frame(event.type === 'started' ? 'vad_user_started_speaking' : 'vad_user_stopped_speaking'));
  }

  private analysisFailed(gen: number, e: unknown): void {
    if (gen !== this.generation) return;
    this.failed = true;
    this.fifo?.clear();
    this.pushError(e);
  }

  private pumpSettled(): void {
    this.pumping = false;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }

  /** Frees the call's state; a pending inference finishes into the void. */
  private release(): void {
    this.generation++;
    this.detector?.analyzer.dispose();
    this.detector = undefined;
    this.resampler?.dispose();
    this.resampler = undefined;
    this.fifo = undefined;
    this.window = undefined;
    this.pumpSettled();
  }
}
