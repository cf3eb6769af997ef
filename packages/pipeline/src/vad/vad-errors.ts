/** Why a {@link VadError} was thrown. */
export type VadErrorCode =
  /** The analyzer does not support this sample rate (Silero: 8000 and 16000 Hz only). */
  | 'unsupported_sample_rate'
  /** A window of the wrong length was given to `probability()`. */
  | 'bad_window'
  /** `probability()` was called again before the previous call settled. */
  | 'busy'
  /** The analyzer was used after `dispose()`. */
  | 'disposed'
  /** The ONNX model file could not be found or loaded. */
  | 'model_load_failed'
  /** VAD parameters out of range. */
  | 'invalid_params';

/** A voice-activity-detection failure; `code` says which. */
export class VadError extends Error {
  override readonly name = 'VadError';

  constructor(
    /** What went wrong. */
    readonly code: VadErrorCode,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}
