/**
 * Sarvam's language codes: BCP 47 tags with the region `IN`, except Odia, which Sarvam writes
 * `od-IN` (ISO 639-1 has `or`).
 */

/** Languages of Bulbul text-to-speech (https://docs.sarvam.ai/api-reference-docs/text-to-speech/stream). */
export const SARVAM_TTS_LANGUAGES = [
  'bn-IN',
  'en-IN',
  'gu-IN',
  'hi-IN',
  'kn-IN',
  'ml-IN',
  'mr-IN',
  'od-IN',
  'pa-IN',
  'ta-IN',
  'te-IN',
] as const;

/**
 * Languages of streaming speech-to-text: the TTS ones and, with `saaras:v3`, twelve more
 * (https://docs.sarvam.ai/api-reference-docs/speech-to-text/transcribe/ws).
 */
export const SARVAM_STT_LANGUAGES = [
  ...SARVAM_TTS_LANGUAGES,
  'as-IN',
  'ur-IN',
  'ne-IN',
  'kok-IN',
  'ks-IN',
  'sd-IN',
  'sa-IN',
  'sat-IN',
  'mni-IN',
  'brx-IN',
  'mai-IN',
  'doi-IN',
] as const;

/** A Sarvam text-to-speech language code, e.g. `'hi-IN'`. */
export type SarvamTTSLanguage = (typeof SARVAM_TTS_LANGUAGES)[number];
/** A Sarvam speech-to-text language code, e.g. `'ta-IN'`. */
export type SarvamSTTLanguage = (typeof SARVAM_STT_LANGUAGES)[number];

/**
 * The Sarvam code for a BCP 47 tag: its primary language subtag with `-IN`, whatever region
 * the tag names (`en-US` and `en` → `en-IN`, `hi` → `hi-IN`, `or-IN` → `od-IN`).
 *
 * @param tag A BCP 47 tag, any case.
 * @param supported The codes the API takes.
 * @returns The code, or `undefined` when Sarvam has no model for the language.
 */
export function toSarvamLanguage<T extends string>(tag: string, supported: readonly T[]): T | undefined {
  let primary = tag.trim().toLowerCase().split(/[-_]/)[0] ?? '';
  if (primary === 'or') primary = 'od';
  const code = `${primary}-in`;
  return supported.find((s) => s.toLowerCase() === code);
}
