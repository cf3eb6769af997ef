/** Sarvam as an agent-configurable vendor (speech-to-text and text-to-speech). */
import { z } from 'zod';
import { defineVendor, responseTimeoutOption } from '../vendors/vendor.ts';
import { SarvamSTTService } from './stt.ts';
import { SarvamTTSService } from './tts.ts';

/** Sarvam's API base URL (the SDK speaks WebSocket to its `wss:` form). */
export const SARVAM_API_BASE_URL = 'https://api.sarvam.ai';

/** Where a Sarvam key comes from: one credential kind for both services. */
const SARVAM_KEY = { credentialKind: 'sarvam', variable: 'SARVAM_API_KEY', required: true } as const;

/** Streaming recognition for Indian languages (https://docs.sarvam.ai/api-reference-docs/speech-to-text/transcribe/ws). */
export const sarvamSTTVendor = defineVendor({
  kind: 'stt',
  provider: 'sarvam',
  label: 'Sarvam',
  options: {
    /** Model: `saaras:v3` (the default), `saaras:v4` or the legacy `saarika:v2.5`. */
    model: z.string().min(1).default('saaras:v3'),
    /** Output mode of the saaras models. Default `transcribe`. */
    mode: z.enum(['transcribe', 'translate', 'verbatim', 'translit', 'codemix']).optional(),
    /** End utterances after about 0.5 s of silence instead of about 1 s. Default true. */
    highVadSensitivity: z.boolean().optional(),
    /** Words or context that help recognition, e.g. names. */
    prompt: z.string().trim().min(1).max(2000).optional(),
  },
  key: SARVAM_KEY,
  defaultBaseUrl: SARVAM_API_BASE_URL,
  baseUrlVariable: 'SARVAM_BASE_URL',
  check: (options, access) =>
    import('./check.ts').then((m) => m.checkSarvamSTT(options.model, SARVAM_API_BASE_URL, access)),
  create: (options, access) =>
    new SarvamSTTService({
      name: access.name,
      apiKey: access.apiKey ?? '',
      ...(access.baseUrl ? { baseUrl: access.baseUrl } : {}),
      model: options.model,
      language: access.language,
      ...(options.mode ? { mode: options.mode } : {}),
      ...(options.highVadSensitivity !== undefined ? { highVadSensitivity: options.highVadSensitivity } : {}),
      ...(options.prompt ? { prompt: options.prompt } : {}),
    }),
});

/** Streaming synthesis for Indian languages (https://docs.sarvam.ai/api-reference-docs/text-to-speech/stream). */
export const sarvamTTSVendor = defineVendor({
  kind: 'tts',
  provider: 'sarvam',
  label: 'Sarvam',
  options: {
    /** Model: `bulbul:v2` (the default) or `bulbul:v3`. */
    model: z.string().min(1).default('bulbul:v2'),
    /** Speaker matching the model, lower case: bulbul:v2 `anushka` (the default), `vidya`, `karun`, …; bulbul:v3 `shubh`, … */
    voice: z
      .string()
      .regex(/^[a-z]+$/)
      .default('anushka'),
    /** Speed, 0.3–3 (bulbul:v3: 0.5–2). Default 1. */
    pace: z.number().min(0.3).max(3).optional(),
    /** Pitch, −0.75–0.75 (bulbul:v2 only). Default 0. */
    pitch: z.number().min(-0.75).max(0.75).optional(),
    /** Loudness, 0.3–3 (bulbul:v2 only). Default 1. */
    loudness: z.number().min(0.3).max(3).optional(),
    /** Normalize English words and numbers in mixed-language text. Default false. */
    enablePreprocessing: z.boolean().optional(),
  },
  key: SARVAM_KEY,
  defaultBaseUrl: SARVAM_API_BASE_URL,
  baseUrlVariable: 'SARVAM_BASE_URL',
  check: (options, access) =>
    import('./check.ts').then((m) =>
      m.checkSarvamTTS(options.model, options.voice, SARVAM_API_BASE_URL, access),
    ),
  create: (options, access) =>
    new SarvamTTSService({
      name: access.name,
      apiKey: access.apiKey ?? '',
      ...(access.baseUrl ? { baseUrl: access.baseUrl } : {}),
      model: options.model,
      voice: options.voice,
      language: access.language,
      ...(options.pace !== undefined ? { pace: options.pace } : {}),
      ...(options.pitch !== undefined ? { pitch: options.pitch } : {}),
      ...(options.loudness !== undefined ? { loudness: options.loudness } : {}),
      ...(options.enablePreprocessing !== undefined
        ? { enablePreprocessing: options.enablePreprocessing }
        : {}),
      ...responseTimeoutOption(access),
    }),
});
