/** ElevenLabs' API host, the SDK's `ElevenLabsEnvironment.Production`. */
export const ELEVENLABS_BASE_URL = 'https://api.elevenlabs.io';

/** An ElevenLabs API key, or a function that gives it (called before each request or connection). */
export type ElevenLabsApiKey = string | (() => Promise<string>);

/**
 * `key` as the SDK's key supplier: a string as is; a function wrapped so that its rejection (or
 * an empty key) becomes `toError(reason)`, the service's configuration error.
 */
export function keySupplier(
  key: ElevenLabsApiKey,
  toError: (reason: string, cause?: unknown) => Error,
): string | (() => Promise<string>) {
  if (typeof key === 'string') return key;
  return async () => {
    let value: string;
    try {
      value = await key();
    } catch (e) {
      throw toError(e instanceof Error ? e.message : String(e), e);
    }
    if (!value) throw toError('the key function returned an empty key');
    return value;
  };
}
