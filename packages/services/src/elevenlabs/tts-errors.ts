import type { ElevenLabsError } from '@elevenlabs/elevenlabs-js';
import { TTSConfigurationError, type TTSError, TTSRequestError } from '../errors.ts';
import { loadedElevenLabsSdk } from './sdk.ts';

/** What a failed synthesis asked for, for {@link ttsError}'s messages. */
export interface TTSRequestContext {
  readonly baseUrl: string;
  readonly voiceId: string;
  readonly model: string;
}

/**
 * The {@link TTSError} for a failed ElevenLabs TTS request (errors of this package pass
 * through): HTTP 401/403 → key; 400/404/422 → the option the error names (`param`
 * `voice_id`, `model_id`, `language_code`, or a `voice_not_found` code), else all of them;
 * 429, 5xx, timeouts, connection failures and malformed streams → {@link TTSRequestError}.
 * Error bodies: https://elevenlabs.io/docs/eleven-api/resources/errors.
 */
export function ttsError(e: unknown, context: TTSRequestContext): TTSError {
  if (e instanceof TTSConfigurationError || e instanceof TTSRequestError) return e;
  // The SDK aborts a late request with the reason "timeout", which fetch rethrows as is: the
  // SDK then reports a plain ElevenLabsError with that string as `cause`, not its timeout error.
  const sdk = loadedElevenLabsSdk();
  const isSdkError = (x: unknown): x is ElevenLabsError => !!sdk && x instanceof sdk.ElevenLabsError;
  if ((sdk && e instanceof sdk.ElevenLabsTimeoutError) || (isSdkError(e) && e.cause === 'timeout')) {
    return new TTSRequestError(`ElevenLabs TTS at ${context.baseUrl} did not answer in time`, { cause: e });
  }
  if (!isSdkError(e)) {
    const message = e instanceof Error ? e.message : String(e);
    return new TTSRequestError(`ElevenLabs TTS sent a malformed stream: ${message}`, { cause: e });
  }
  const status = e.statusCode;
  if (status === undefined) {
    return new TTSRequestError(`Could not reach ElevenLabs TTS at ${context.baseUrl}: ${e.message}`, {
      cause: e,
    });
  }
  const { code, param, detail } = errorDetail(e.body);
  const said = detail ? `: ${detail}` : '';
  const options = { status, cause: e };
  if (status === 401 || status === 403) {
    return new TTSConfigurationError(
      `ElevenLabs rejected the API key (HTTP ${status}${said}); set ELEVENLABS_API_KEY or the agent's tts.credential`,
      options,
    );
  }
  if (status === 400 || status === 404 || status === 422) {
    const option =
      param === 'voice_id' || code === 'voice_not_found'
        ? `tts.voice ("${context.voiceId}")`
        : param === 'model_id'
          ? `tts.model ("${context.model}")`
          : param === 'language_code'
            ? 'tts.language'
            : `tts.voice ("${context.voiceId}"), tts.model ("${context.model}"), tts.language and voice settings`;
    return new TTSConfigurationError(
      `ElevenLabs refused the synthesis options (HTTP ${status}${said}); check the agent's ${option}`,
      options,
    );
  }
  return new TTSRequestError(`ElevenLabs TTS failed (HTTP ${status}${said})`, options);
}

/**
 * The code, offending parameter and message of an ElevenLabs error body:
 * `{"detail":{"code"|"status","param"?,"message"}}` (`status` in older answers), FastAPI's
 * validation list `{"detail":[{"loc":["body","model_id"],"msg"}]}` (422), or a plain string.
 */
function errorDetail(body: unknown): { code: string; param: string; detail: string } {
  const detail = field(body, 'detail') ?? body;
  if (typeof detail === 'string') return { code: '', param: '', detail };
  if (Array.isArray(detail)) {
    const first: unknown = detail[0];
    const loc = field(first, 'loc');
    return {
      code: '',
      param: Array.isArray(loc) ? String(loc.at(-1) ?? '') : '',
      detail: String(field(first, 'msg') ?? ''),
    };
  }
  const code = String(field(detail, 'code') ?? field(detail, 'status') ?? '');
  return {
    code,
    param: String(field(detail, 'param') ?? ''),
    detail: String(field(detail, 'message') ?? code),
  };
}

/** `value[key]` when `value` is an object that has it. */
function field(value: unknown, key: string): unknown {
  return typeof value === 'object' && value !== null && key in value
    ? (value as Record<string, unknown>)[key]
    : undefined;
}
