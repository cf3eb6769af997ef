/**
 * Types for the raw Emscripten exports of `@echogarden/speex-resampler-wasm` 0.3.0, which
 * ships no typings. Only what `resampler.ts` uses is declared. Pointers are byte
 * offsets into the module's linear memory; the `HEAP*` views are replaced when the memory
 * grows, so read them again after any call that may allocate.
 * C API: https://github.com/xiph/speexdsp/blob/master/include/speex/speex_resampler.h
 */
declare module '@echogarden/speex-resampler-wasm/simd' {
  /** The instantiated module. */
  export interface SpeexResamplerModule {
    readonly HEAP16: Int16Array;
    readonly HEAP32: Int32Array;
    readonly HEAPU32: Uint32Array;
    _malloc(bytes: number): number;
    _free(ptr: number): void;
    /** Returns a state pointer, or 0 with an error code stored at `errPtr` (int32). */
    _speex_resampler_init(
      channels: number,
      inRateHz: number,
      outRateHz: number,
      quality: number,
      errPtr: number,
    ): number;
    _speex_resampler_destroy(state: number): void;
    /**
     * Resample one channel of int16 samples. `inLenPtr`/`outLenPtr` point at uint32 counts:
     * capacities on entry, samples consumed/written on return. Returns 0 or an error code.
     */
    _speex_resampler_process_int(
      state: number,
      channelIndex: number,
      inPtr: number,
      inLenPtr: number,
      outPtr: number,
      outLenPtr: number,
    ): number;
    /** Filter delay, input samples. */
    _speex_resampler_get_input_latency(state: number): number;
    /** Filter delay, output samples. */
    _speex_resampler_get_output_latency(state: number): number;
    /** Drop the filter's leading delay so output sample 0 lines up with input sample 0. */
    _speex_resampler_skip_zeros(state: number): number;
    /** Clear the filter memory (start a new stream). */
    _speex_resampler_reset_mem(state: number): number;
  }
  /** Instantiate the WASM module (reads the `.wasm` beside the script). */
  const createSpeexResampler: (moduleArg?: Record<string, unknown>) => Promise<SpeexResamplerModule>;
  export default createSpeexResampler;
}
