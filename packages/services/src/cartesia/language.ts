/**
 * Cartesia's `language` for a BCP 47 tag: its primary language subtag, lower-cased
 * (`en-US` → `en`, `hi-IN` → `hi`, `pt-BR` → `pt`); Cartesia's codes are ISO 639-1
 * (https://docs.cartesia.ai/build-with-cartesia/tts-models). `undefined` for an empty tag.
 * Whether the model speaks the language is Cartesia's to say: an unsupported one is refused
 * with an `error` message (a `TTSConfigurationError`).
 */
export function cartesiaLanguage(bcp47: string | undefined): string | undefined {
  const primary = bcp47?.trim().split(/[-_]/)[0]?.toLowerCase();
  return primary || undefined;
}
