/**
 * Raw PCM rates (16-bit little-endian mono) that ElevenLabs synthesizes as `output_format`
 * `pcm_<rate>` (https://elevenlabs.io/docs/api-reference/text-to-speech/stream-with-timestamps;
 * `pcm_44100` needs a Pro plan).
 */
export const TTS_PCM_RATES_HZ = [8000, 16000, 22050, 24000, 32000, 44100, 48000] as const;

/**
 * Raw PCM rates the realtime Scribe endpoint accepts as `audio_format` `pcm_<rate>`
 * (the SDK's `AudioFormat`; https://elevenlabs.io/docs/api-reference/speech-to-text/v-1-speech-to-text-realtime).
 */
export const STT_PCM_RATES_HZ = [8000, 16000, 22050, 24000, 44100, 48000] as const;

/** The rate, Hz, to send Scribe when the call's rate is not one it accepts (the pipeline resamples to it). */
export const STT_FALLBACK_RATE_HZ = 16000;

/**
 * The PCM rate to ask ElevenLabs TTS for so that audio at `outputRateHz` needs no resampling:
 * that rate when it is offered, else the lowest offered rate above it (else the highest), which
 * the TTS base resamples.
 */
export function ttsPcmRateFor(outputRateHz: number): number {
  const rates: readonly number[] = TTS_PCM_RATES_HZ;
  if (rates.includes(outputRateHz)) return outputRateHz;
  return rates.find((r) => r > outputRateHz) ?? 48000;
}

/** The rate, Hz, at which to stream caller audio at `inputRateHz` to Scribe: itself when accepted, else {@link STT_FALLBACK_RATE_HZ}. */
export function sttPcmRateFor(inputRateHz: number): number {
  const rates: readonly number[] = STT_PCM_RATES_HZ;
  return rates.includes(inputRateHz) ? inputRateHz : STT_FALLBACK_RATE_HZ;
}

/**
 * ElevenLabs' language code for a BCP 47 tag: its primary ISO 639 subtag, lower case
 * (`en-US` → `en`, `hi-IN` → `hi`, `fil` → `fil`). Scribe takes ISO 639-1 or 639-3 codes
 * and TTS `language_code` ISO 639-1; both ignore the region.
 */
export function elevenLabsLanguage(bcp47: string): string {
  return bcp47.trim().split(/[-_]/)[0]?.toLowerCase() ?? '';
}
