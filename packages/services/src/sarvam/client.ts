import type { SarvamAIClient } from 'sarvamai';

let sdk: Promise<typeof import('sarvamai')> | undefined;

/**
 * The `sarvamai` SDK, imported once, on first use (services start it when they are built, so
 * that the first connection does not wait for it).
 */
export function loadSarvamSdk(): Promise<typeof import('sarvamai')> {
  sdk ??= import('sarvamai');
  return sdk;
}

/** Credentials and endpoint of a Sarvam service. */
export interface SarvamConnectionOptions {
  /**
   * Sarvam API subscription key (sent as the `api-subscription-key` header,
   * https://docs.sarvam.ai/api-reference-docs/authentication), or a function that gives it,
   * called before each connection so that a rotated stored key is picked up. The service never
   * reads the environment: the server passes `SARVAM_API_KEY` or the agent's credential.
   */
  readonly apiKey: string | (() => Promise<string>);
  /**
   * Base URL for the WebSocket (and REST) API, e.g. `http://127.0.0.1:41234` for a loopback
   * fake; the path (`/speech-to-text/ws`, `/text-to-speech/ws`) is appended.
   * Default Sarvam's: `wss://api.sarvam.ai`.
   */
  readonly baseUrl?: string;
}

/**
 * A client of the official `sarvamai` SDK with the key resolved now. The SDK is imported here,
 * at the first connection, not when `@parley/services` is (it takes seconds of CPU to load).
 *
 * @param keyError Builds the service's configuration error from a problem with the key
 *   (`detail`) and its cause.
 * @throws what `keyError` returns when the key function rejects or the key is empty.
 */
export async function createSarvamClient(
  options: SarvamConnectionOptions,
  keyError: (detail: string, cause?: unknown) => Error,
): Promise<SarvamAIClient> {
  let key: string;
  try {
    key = typeof options.apiKey === 'function' ? await options.apiKey() : options.apiKey;
  } catch (e) {
    throw keyError('could not read the Sarvam API key', e);
  }
  if (!key) throw keyError('no Sarvam API key');
  const { SarvamAIClient } = await loadSarvamSdk();
  return new SarvamAIClient({
    apiSubscriptionKey: key,
    ...(options.baseUrl ? { baseUrl: options.baseUrl } : {}),
  });
}
