import { STTConfigurationError, STTConnectionError, type STTError } from '../errors.ts';

/**
 * An error message of the realtime Scribe socket: `{"message_type": <type>, "error": <text>}`,
 * sent before the server closes the session
 * (https://elevenlabs.io/docs/eleven-api/guides/how-to/speech-to-text/realtime/event-reference).
 */
export interface ScribeErrorMessage {
  readonly message_type: string;
  readonly error: string;
}

const KEY_HINT = "set ELEVENLABS_API_KEY or the agent's stt.credential";

/**
 * The {@link STTError} for a Scribe error message: `auth_error` (the key), `quota_exceeded`,
 * `unaccepted_terms` and `invalid_request` (the session options) cannot be fixed by
 * reconnecting → {@link STTConfigurationError}; the rest (`rate_limited`, `resource_exhausted`,
 * `queue_overflow`, `transcriber_error`, `session_time_limit_exceeded`, …) → {@link STTConnectionError}.
 */
export function scribeServerError(m: ScribeErrorMessage): STTError {
  const said = `${m.message_type}: ${m.error}`;
  switch (m.message_type) {
    case 'auth_error':
      return new STTConfigurationError(`ElevenLabs Scribe rejected the API key (${said}); ${KEY_HINT}`);
    case 'quota_exceeded':
    case 'unaccepted_terms':
      return new STTConfigurationError(`ElevenLabs Scribe refused the account (${said}); ${KEY_HINT}`);
    case 'invalid_request':
      return new STTConfigurationError(
        `ElevenLabs Scribe refused the session options (${said}); check the agent's stt.model and stt.language`,
      );
    default:
      return new STTConnectionError(`ElevenLabs Scribe reported an error (${said})`);
  }
}

/**
 * The {@link STTError} for a failed WebSocket handshake (the `ws` client reports
 * `Unexpected server response: <status>`): 401/403 → key, 400/404/422 → options (both
 * {@link STTConfigurationError}); 429, 5xx and connection failures → {@link STTConnectionError}.
 */
export function scribeHandshakeError(e: unknown): STTError {
  if (e instanceof STTConfigurationError || e instanceof STTConnectionError) return e;
  const message = e instanceof Error ? e.message : String(e);
  const status = Number(/Unexpected server response: (\d{3})/.exec(message)?.[1]) || undefined;
  const options = { cause: e, ...(status ? { status } : {}) };
  if (status === 401 || status === 403) {
    return new STTConfigurationError(
      `ElevenLabs Scribe rejected the API key (HTTP ${status}); ${KEY_HINT}`,
      options,
    );
  }
  if (status === 400 || status === 404 || status === 422) {
    return new STTConfigurationError(
      `ElevenLabs Scribe refused the session options (HTTP ${status}); check the agent's stt.model and stt.language`,
      options,
    );
  }
  return new STTConnectionError(
    `could not connect to ElevenLabs Scribe${status ? ` (HTTP ${status})` : ''}: ${message || 'connection failed'}`,
    options,
  );
}
