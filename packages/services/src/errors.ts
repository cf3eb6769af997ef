/**
 * Errors of the services package, one class per failure family. Each carries what a
 * caller (the server's call runner) needs to act: a message fit to show an operator and,
 * where there is one, the exact fix.
 */

/**
 * Base of a vendor service's errors: a message fit to show an operator, the provider's HTTP
 * status when it answered, and the underlying error as `cause`. Subclasses differ only in `name`.
 */
export abstract class VendorServiceError extends Error {
  abstract override readonly name: string;
  /** HTTP status of the provider's answer; `undefined` when no answer came (or no request was made). */
  readonly status: number | undefined;

  /**
   * @param message What went wrong, fit to show an operator.
   * @param options `status`: the provider's HTTP status, if it answered; `cause`: the
   *   underlying error (becomes `Error.cause`; absent when `undefined`).
   */
  constructor(message: string, options: { status?: number; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.status = options.status;
  }
}

/**
 * Base of the LLM service errors ({@link LLMConfigurationError}, {@link LLMRequestError}).
 * Catch it to handle either.
 */
export abstract class LLMError extends VendorServiceError {}

/**
 * An LLM service cannot run because of its configuration: no API key, a key the provider
 * rejected (HTTP 401/403), or a model / base URL the provider does not know (HTTP 404).
 * The server speaks `message` to the caller and logs it; retrying will not help. `status` is
 * the HTTP status the provider answered with, when the error came from a request.
 */
export class LLMConfigurationError extends LLMError {
  override readonly name = 'LLMConfigurationError';
}

/**
 * An LLM request failed for a reason other than configuration: rate limit (429), provider
 * outage (5xx), connection error, or a malformed stream. `status` is the HTTP status when the
 * provider answered; `undefined` for network failures. The SDK's retries (`maxRetries`) have
 * already been spent when this is thrown.
 */
export class LLMRequestError extends LLMError {
  override readonly name = 'LLMRequestError';
}

/**
 * Base of the streaming STT service errors ({@link STTConfigurationError},
 * {@link STTConnectionError}); `status` is the provider's answer to the WebSocket handshake.
 * Catch it to handle either.
 */
export abstract class STTError extends VendorServiceError {}

/**
 * An STT service cannot run because of its configuration: no API key, a key the provider
 * rejected (HTTP 401/403), or stream options it refused (HTTP 400: model, language,
 * encoding). `message` names the fix; retrying will not help.
 */
export class STTConfigurationError extends STTError {
  override readonly name = 'STTConfigurationError';
}

/**
 * An STT stream could not be opened or was lost for a reason other than configuration:
 * connection refused or timed out, provider outage (5xx), rate limit (429), or a dropped
 * socket whose reconnection attempts ran out. `status` is the handshake's HTTP status when
 * the provider answered.
 */
export class STTConnectionError extends STTError {
  override readonly name = 'STTConnectionError';
}

/**
 * Base of the vendor TTS service errors ({@link TTSConfigurationError}, {@link TTSRequestError}).
 * Catch it to handle either.
 */
export abstract class TTSError extends VendorServiceError {}

/**
 * A TTS service cannot run because of its configuration: no API key, a key the provider
 * rejected (HTTP 401/403), or a voice, model, language or output format it does not know
 * (HTTP 400/404/422). `message` names the fix; retrying will not help.
 */
export class TTSConfigurationError extends TTSError {
  override readonly name = 'TTSConfigurationError';
}

/**
 * A synthesis failed for a reason other than configuration: rate limit (429), provider outage
 * (5xx), connection refused or dropped, or a malformed response. `status` is the HTTP status
 * (or WebSocket handshake status) when the provider answered.
 */
export class TTSRequestError extends TTSError {
  override readonly name = 'TTSRequestError';
}

/**
 * A local (offline) engine is not installed or cannot start on this machine: the
 * `pocketsphinx_continuous` binary or its Debian model files are missing, or the Flite WASM
 * package cannot be found. `fix` holds the command or step that installs it.
 */
export class LocalEngineUnavailableError extends Error {
  override readonly name = 'LocalEngineUnavailableError';
  /** Which engine: `'stt'` (pocketsphinx) or `'tts'` (Flite). */
  readonly engine: 'stt' | 'tts';
  /** What to do about it, e.g. `apt-get install pocketsphinx pocketsphinx-en-us`. */
  readonly fix: string;

  constructor(engine: 'stt' | 'tts', problem: string, fix: string, cause?: unknown) {
    super(`${problem}; fix: ${fix}`, cause === undefined ? undefined : { cause });
    this.engine = engine;
    this.fix = fix;
  }
}

/**
 * A local engine that was running failed: the pocketsphinx process exited unexpectedly or a
 * Flite worker crashed. `detail` holds the engine's last error output, when it printed any.
 */
export class LocalEngineError extends Error {
  override readonly name = 'LocalEngineError';
  /** Which engine: `'stt'` (pocketsphinx) or `'tts'` (Flite). */
  readonly engine: 'stt' | 'tts';

  constructor(engine: 'stt' | 'tts', message: string, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    this.engine = engine;
  }
}

/** Who answered an LLM request, for {@link llmHttpError}'s messages. */
export interface LLMEndpoint {
  /** How to name the provider in a sentence, e.g. `The LLM provider` or `The Anthropic API`. */
  readonly provider: string;
  readonly baseUrl: string;
  readonly model: string;
  /** The environment variable that holds the server's key, e.g. `OPENAI_API_KEY`. */
  readonly keyVariable: string;
}

/**
 * The error for an LLM request the provider answered with HTTP `status` (or, `undefined`,
 * did not answer): 401/403 (key) and 404 (model or base URL) → {@link LLMConfigurationError},
 * anything else → {@link LLMRequestError}.
 */
export function llmHttpError(
  endpoint: LLMEndpoint,
  status: number | undefined,
  detail: string,
  cause: unknown,
): LLMError {
  if (status === 401 || status === 403) {
    return new LLMConfigurationError(
      `${endpoint.provider} at ${endpoint.baseUrl} rejected the API key (HTTP ${status}): set ${endpoint.keyVariable} or the agent's llm.credential`,
      { status, cause },
    );
  }
  if (status === 404) {
    return new LLMConfigurationError(
      `${endpoint.provider} at ${endpoint.baseUrl} does not know model "${endpoint.model}" (HTTP 404): check the agent's llm.model and llm.baseUrl`,
      { status, cause },
    );
  }
  return new LLMRequestError(`LLM request failed${status ? ` (HTTP ${status})` : ''}: ${detail}`, {
    ...(status ? { status } : {}),
    cause,
  });
}
