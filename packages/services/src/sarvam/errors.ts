import {
  STTConfigurationError,
  STTConnectionError,
  type STTError,
  TTSConfigurationError,
  type TTSError,
  TTSRequestError,
} from '../errors.ts';

/**
 * HTTP statuses with which Sarvam refuses the options rather than the request; a bad key is 403
 * (https://docs.sarvam.ai/api-reference-docs/errors-troubleshooting).
 */
const OPTION_STATUSES = new Set([400, 404, 413, 422]);

function withStatus(status: number | undefined, cause: unknown): { status?: number; cause: unknown } {
  return status ? { status, cause } : { cause };
}

/**
 * The STT error for a Sarvam failure with HTTP `status` (a refused handshake, or the `code` of
 * an error message): 401/403 → {@link STTConfigurationError} naming the key, 400/404/413/422 →
 * {@link STTConfigurationError} naming the options, anything else (429, 5xx, none) →
 * {@link STTConnectionError}.
 */
export function sarvamSTTError(status: number | undefined, detail: string, cause?: unknown): STTError {
  const options = withStatus(status, cause);
  if (status === 401 || status === 403) {
    return new STTConfigurationError(
      `Sarvam rejected the API key (HTTP ${status}): set SARVAM_API_KEY or the agent's stt.credential`,
      options,
    );
  }
  if (status !== undefined && OPTION_STATUSES.has(status)) {
    return new STTConfigurationError(
      `Sarvam refused the stream options (HTTP ${status}: ${detail}): check the agent's stt.model, stt.language and mode`,
      options,
    );
  }
  return new STTConnectionError(
    `could not stream to Sarvam${status ? ` (HTTP ${status})` : ''}: ${detail}`,
    options,
  );
}

/**
 * The TTS error for a Sarvam failure with HTTP `status` (a refused handshake, or the `code` of
 * an error message): 401/403 → {@link TTSConfigurationError} naming the key, 400/404/413/422 →
 * {@link TTSConfigurationError} naming the voice, model and language, anything else (429, 5xx,
 * none) → {@link TTSRequestError}.
 */
export function sarvamTTSError(status: number | undefined, detail: string, cause?: unknown): TTSError {
  const options = withStatus(status, cause);
  if (status === 401 || status === 403) {
    return new TTSConfigurationError(
      `Sarvam rejected the API key (HTTP ${status}): set SARVAM_API_KEY or the agent's tts.credential`,
      options,
    );
  }
  if (status !== undefined && OPTION_STATUSES.has(status)) {
    return new TTSConfigurationError(
      `Sarvam refused the synthesis options (HTTP ${status}: ${detail}): check the agent's tts.voice (speaker), tts.model and tts.language`,
      options,
    );
  }
  return new TTSRequestError(
    `Sarvam text-to-speech failed${status ? ` (HTTP ${status})` : ''}: ${detail}`,
    options,
  );
}
