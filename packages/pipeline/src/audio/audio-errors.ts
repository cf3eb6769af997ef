/**
 * Audio that does not have the shape or format a function needs: an odd byte count for
 * 16-bit PCM, a sample count that is not a multiple of the channel count, a WAV encoding
 * that cannot be read, a sample rate or quality out of range.
 */
export class AudioFormatError extends Error {
  override readonly name = 'AudioFormatError';
}

/**
 * The streaming resampler failed: the WASM module could not be loaded, Speex rejected its
 * arguments (`code` is Speex's error code, e.g. 3 = invalid argument), or it was used after
 * `StreamingResampler.dispose()`.
 */
export class ResamplerError extends Error {
  override readonly name = 'ResamplerError';

  constructor(
    message: string,
    /** Speex's `RESAMPLER_ERR_*` code, when Speex reported one. */
    readonly code?: number,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/**
 * Writing a WAV file failed (creating the folder, opening, writing or patching the header).
 * `path` is the file; `cause` is the file-system error.
 */
export class WavWriteError extends Error {
  override readonly name = 'WavWriteError';

  constructor(
    message: string,
    /** The file being written. */
    readonly path: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}
