/// <reference path="./speex-resampler-wasm.d.ts" />
import type { SpeexResamplerModule } from '@echogarden/speex-resampler-wasm/simd';
import { AudioFormatError, ResamplerError } from './audio-errors.ts';

/** Speex quality used when none is given: 0 (fastest) … 10 (best). 4 rejects aliases by ~90 dB. */
export const DEFAULT_RESAMPLER_QUALITY = 4;

/** Input samples copied into WASM memory per Speex call; longer inputs are processed in pieces. */
const IN_CAPACITY = 4096;
const MAX_RATE_HZ = 384_000;

let loading: Promise<SpeexResamplerModule> | undefined;

/** Loads the Speex WASM module once per process, on first use; a failed load is retried next time. */
function loadSpeex(): Promise<SpeexResamplerModule> {
  loading ??= import('@echogarden/speex-resampler-wasm/simd')
    .then((m) => m.default())
    .catch((e: unknown) => {
      loading = undefined;
      throw new ResamplerError('could not load the Speex resampler WASM module', undefined, { cause: e });
    });
  return loading;
}

/** The WASM allocations of one resampler; freed by `dispose()`, or by the GC as a safety net. */
interface NativeState {
  readonly mod: SpeexResamplerModule;
  readonly state: number;
  readonly inPtr: number;
  readonly outPtr: number;
  readonly outCapacity: number;
  /** Two uint32: input length, output length. */
  readonly lenPtr: number;
}

function freeNative(n: NativeState): void {
  n.mod._speex_resampler_destroy(n.state);
  n.mod._free(n.inPtr);
  n.mod._free(n.outPtr);
  n.mod._free(n.lenPtr);
}

const finalizer = new FinalizationRegistry<NativeState>(freeNative);

/**
 * A streaming, stateful mono resampler for 16-bit PCM (Speex, from SpeexDSP, in WASM).
 * Feed it consecutive chunks of one stream with {@link process}; the filter state carries
 * over between chunks, so chunked output equals one-shot output. Latency is the filter's
 * delay only (at quality 4, ~5 ms for 8↔16 kHz), with no block buffering.
 *
 * Output is time-aligned with the input (Speex's leading zeros are skipped): the first
 * chunk comes out short by the filter delay, and {@link flush} returns that tail at the end
 * of a stream. Over a whole stream the output has `round(inputSamples × outRateHz / inRateHz)`
 * samples.
 *
 * Between the same rates it is a no-op ({@link process} returns its input) and holds no
 * WASM memory. Otherwise call {@link dispose} when done to free the WASM memory at once.
 * Make one with {@link createResampler}.
 */
export class StreamingResampler {
  private native: NativeState | undefined;
  private disposed = false;
  private inTotal = 0;
  private outTotal = 0;

  private constructor(
    /** Input sample rate, Hz. */
    readonly inRateHz: number,
    /** Output sample rate, Hz. */
    readonly outRateHz: number,
    /** Speex quality, 0–10. */
    readonly quality: number,
    mod: SpeexResamplerModule | undefined,
  ) {
    if (mod) this.native = StreamingResampler.allocate(mod, inRateHz, outRateHz, quality);
    if (this.native) finalizer.register(this, this.native, this);
  }

  /**
   * Make a resampler. Loads the WASM module on first use (once per process).
   *
   * @param inRateHz input sample rate, Hz (integer, 1..384000).
   * @param outRateHz output sample rate, Hz (integer, 1..384000).
   * @param quality Speex quality 0–10 (default {@link DEFAULT_RESAMPLER_QUALITY}).
   * @throws AudioFormatError for a rate or quality out of range.
   * @throws ResamplerError when the WASM module cannot be loaded or Speex refuses the settings.
   */
  static async create(
    inRateHz: number,
    outRateHz: number,
    quality = DEFAULT_RESAMPLER_QUALITY,
  ): Promise<StreamingResampler> {
    checkRate(inRateHz, 'inRateHz');
    checkRate(outRateHz, 'outRateHz');
    if (!Number.isInteger(quality) || quality < 0 || quality > 10) {
      throw new AudioFormatError(`resampler quality must be an integer 0..10, got ${quality}`);
    }
    const mod = inRateHz === outRateHz ? undefined : await loadSpeex();
    return new StreamingResampler(inRateHz, outRateHz, quality, mod);
  }

  /** True when input and output rates are equal (nothing is done). */
  get passthrough(): boolean {
    return this.inRateHz === this.outRateHz;
  }

  /**
   * Resample the next chunk of the stream.
   *
   * @param pcm mono 16-bit samples at `inRateHz`, any length (0 is fine).
   * @returns samples at `outRateHz`: `pcm` itself when the rates are equal, otherwise a new
   *   array of about `pcm.length × outRateHz / inRateHz` samples (fewer on the first chunk).
   * @throws ResamplerError after {@link dispose}, or if Speex reports an error.
   */
  process(pcm: Int16Array): Int16Array {
    if (this.disposed) throw new ResamplerError('the resampler was disposed');
    const n = this.native;
    if (!n) return pcm;
    this.inTotal += pcm.length;
    const out = this.run(n, pcm);
    this.outTotal += out.length;
    return out;
  }

  /**
   * End the stream: return the samples still held in the filter (about the filter delay),
   * then reset so the next {@link process} starts a new stream.
   *
   * @returns the tail at `outRateHz` (empty when the rates are equal).
   * @throws ResamplerError after {@link dispose}.
   */
  flush(): Int16Array {
    if (this.disposed) throw new ResamplerError('the resampler was disposed');
    const n = this.native;
    if (!n) return new Int16Array(0);
    const expected = Math.round((this.inTotal * this.outRateHz) / this.inRateHz) - this.outTotal;
    const zeros = new Int16Array(n.mod._speex_resampler_get_input_latency(n.state) + 1);
    const tail = this.run(n, zeros);
    n.mod._speex_resampler_reset_mem(n.state);
    n.mod._speex_resampler_skip_zeros(n.state);
    this.inTotal = 0;
    this.outTotal = 0;
    return tail.subarray(0, Math.max(0, Math.min(expected, tail.length)));
  }

  /** Free the WASM memory. Idempotent; the resampler cannot be used afterwards. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    if (this.native) {
      finalizer.unregister(this);
      freeNative(this.native);
      this.native = undefined;
    }
  }

  private run(n: NativeState, pcm: Int16Array): Int16Array {
    const { mod } = n;
    let out = new Int16Array(Math.ceil((pcm.length * this.outRateHz) / this.inRateHz) + 16);
    let produced = 0;
    let offset = 0;
    while (offset < pcm.length) {
      const count = Math.min(IN_CAPACITY, pcm.length - offset);
      // Views are read after every call that could have grown the memory.
      mod.HEAP16.set(pcm.subarray(offset, offset + count), n.inPtr >> 1);
      const lens = mod.HEAPU32;
      lens[n.lenPtr >> 2] = count;
      lens[(n.lenPtr >> 2) + 1] = n.outCapacity;
      const err = mod._speex_resampler_process_int(n.state, 0, n.inPtr, n.lenPtr, n.outPtr, n.lenPtr + 4);
      if (err !== 0) throw new ResamplerError(`Speex resampling failed (error ${err})`, err);
      const consumed = mod.HEAPU32[n.lenPtr >> 2]!;
      const written = mod.HEAPU32[(n.lenPtr >> 2) + 1]!;
      if (produced + written > out.length) {
        const bigger = new Int16Array(Math.max(out.length * 2, produced + written));
        bigger.set(out.subarray(0, produced));
        out = bigger;
      }
      out.set(mod.HEAP16.subarray(n.outPtr >> 1, (n.outPtr >> 1) + written), produced);
      produced += written;
      offset += consumed;
      if (consumed === 0 && written === 0) break; // cannot happen with our capacities; never spin
    }
    return out.subarray(0, produced);
  }

  private static allocate(
    mod: SpeexResamplerModule,
    inRateHz: number,
    outRateHz: number,
    quality: number,
  ): NativeState {
    const lenPtr = mod._malloc(8);
    const state = mod._speex_resampler_init(1, inRateHz, outRateHz, quality, lenPtr);
    if (state === 0) {
      const code = mod.HEAP32[lenPtr >> 2]!;
      mod._free(lenPtr);
      throw new ResamplerError(`Speex refused ${inRateHz} → ${outRateHz} Hz at quality ${quality}`, code);
    }
    mod._speex_resampler_skip_zeros(state);
    const outCapacity = Math.ceil((IN_CAPACITY * outRateHz) / inRateHz) + 64;
    return {
      mod,
      state,
      inPtr: mod._malloc(IN_CAPACITY * 2),
      outPtr: mod._malloc(outCapacity * 2),
      outCapacity,
      lenPtr,
    };
  }
}

function checkRate(rateHz: number, name: string): void {
  if (!Number.isInteger(rateHz) || rateHz < 1 || rateHz > MAX_RATE_HZ) {
    throw new AudioFormatError(`${name} must be an integer 1..${MAX_RATE_HZ} Hz, got ${rateHz}`);
  }
}

/**
 * Make a {@link StreamingResampler} from `inRateHz` to `outRateHz` (mono, 16-bit PCM).
 * The WASM module is loaded lazily, once per process.
 *
 * @example
 * const up = await createResampler(8000, 16000);
 * const pcm16k = up.process(pcm8k); // per 20 ms frame
 * up.dispose();                     // when the call ends
 * @throws AudioFormatError for a rate or quality out of range.
 * @throws ResamplerError when the WASM module cannot be loaded or Speex refuses the settings.
 */
export function createResampler(
  inRateHz: number,
  outRateHz: number,
  quality = DEFAULT_RESAMPLER_QUALITY,
): Promise<StreamingResampler> {
  return StreamingResampler.create(inRateHz, outRateHz, quality);
}
