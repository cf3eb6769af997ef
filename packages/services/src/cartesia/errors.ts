import { TTSConfigurationError, type TTSError, TTSRequestError } from '../errors.ts';

/** How to fix a rejected key, in every key error's message. */
const KEY_FIX = "set CARTESIA_API_KEY or the agent's tts.credential to a valid Cartesia API key";

/** What Cartesia's `error` message carries (https://docs.cartesia.ai/api-reference/tts/websocket). */
export interface CartesiaErrorMessage {
  readonly status_code: number;
  readonly title?: string;
  readonly message?: string;
  readonly error_code?: string;
}

/**
 * The error for a refused or failed WebSocket handshake. The `ws` client reports a refusal as
 * `Unexpected server response: <status>`: 401/403 → {@link TTSConfigurationError} naming the
 * key; anything else (429, 5xx, refused or timed-out connection) → {@link TTSRequestError}.
 */
export function handshakeError(e: unknown): TTSError {
  const message = errorText(e);
  const status = Number(/Unexpected server response: (\d{3})/.exec(message)?.[1]) || undefined;
  const options = { cause: e, ...(status ? { status } : {}) };
  if (status === 401 || status === 403) {
    return new TTSConfigurationError(`Cartesia rejected the API key (HTTP ${status}): ${KEY_FIX}`, options);
  }
  return new TTSRequestError(
    `could not connect to Cartesia${status ? ` (HTTP ${status})` : ''}: ${message || 'connection failed'}`,
    options,
  );
}

/**
 * The error for an `error` message about a generation. `status_code` 401/403 → the key;
 * 400/404/422 → a voice, model, language or format Cartesia does not accept (both
 * {@link TTSConfigurationError}); anything else (429, 5xx) → {@link TTSRequestError}.
 */
export function generationError(m: CartesiaErrorMessage): TTSError {
  const status = m.status_code;
  const detail = [m.title, m.message].filter(Boolean).join(': ') || 'no detail';
  if (status === 401 || status === 403) {
    return new TTSConfigurationError(`Cartesia rejected the API key (${status} ${detail}): ${KEY_FIX}`, {
      status,
    });
  }
  if (status === 400 || status === 404 || status === 422) {
    return new TTSConfigurationError(
      `Cartesia refused the synthesis request (${status} ${detail}): check the agent's TTS voiceId, model and language`,
      { status },
    );
  }
  return new TTSRequestError(`Cartesia failed to synthesize (${status} ${detail})`, { status });
}

/** The message of an `Error` or of a `ws` `ErrorEvent` (which is not an `Error`). */
function errorText(e: unknown): string {
  if (e instanceof Error) return e.message;
  if (typeof e === 'object' && e !== null && 'message' in e) return String(e.message);
  return String(e);
}
