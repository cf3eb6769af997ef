/** Cartesia as an agent-configurable vendor. */
import { z } from 'zod';
import { defineVendor, responseTimeoutOption, trustedCaOption } from '../vendors/vendor.ts';
import {
  CARTESIA_API_BASE_URL,
  CartesiaTTSService,
  DEFAULT_CARTESIA_MODEL,
  DEFAULT_CARTESIA_VOICE_ID,
} from './tts.ts';

/** Sonic over the TTS WebSocket (https://docs.cartesia.ai/api-reference/tts/websocket). */
export const cartesiaTTSVendor = defineVendor({
  kind: 'tts',
  provider: 'cartesia',
  label: 'Cartesia',
  options: {
    /** Model id (https://docs.cartesia.ai/build-with-cartesia/tts-models). Default `sonic-3`. */
    model: z.string().min(1).default(DEFAULT_CARTESIA_MODEL),
    /** Voice id (https://play.cartesia.ai/voices). Default "Katie", American English. */
    voice: z.string().trim().min(1).default(DEFAULT_CARTESIA_VOICE_ID),
    /** Speaking rate, 0.6–1.5 (sonic-3 and later). Default: Cartesia's (1.0). */
    speed: z.number().min(0.6).max(1.5).optional(),
    /** Loudness, 0.5–2.0 (sonic-3 and later). Default: Cartesia's (1.0). */
    volume: z.number().min(0.5).max(2).optional(),
    /** Emotion guidance, e.g. `calm`, `content`, `sympathetic` (sonic-3 and later). Default: none. */
    emotion: z.string().trim().min(1).max(40).optional(),
    /** One context per LLM response, so prosody flows across its sentences. Default true. */
    continuations: z.boolean().optional(),
  },
  key: { credentialKind: 'cartesia', variable: 'CARTESIA_API_KEY', required: true },
  defaultBaseUrl: CARTESIA_API_BASE_URL,
  baseUrlVariable: 'CARTESIA_BASE_URL',
  check: (options, access) =>
    import('./check.ts').then((m) => m.checkCartesiaVoice(options.voice, CARTESIA_API_BASE_URL, access)),
  create: (options, access) =>
    new CartesiaTTSService({
      name: access.name,
      apiKey: access.apiKey ?? '', // none: the start fails with a TTSConfigurationError naming the key
      baseUrl: access.baseUrl ?? CARTESIA_API_BASE_URL,
      ...trustedCaOption(access),
      model: options.model,
      voiceId: options.voice,
      language: access.language,
      ...(options.speed !== undefined ? { speed: options.speed } : {}),
      ...(options.volume !== undefined ? { volume: options.volume } : {}),
      ...(options.emotion !== undefined ? { emotion: options.emotion } : {}),
      ...(options.continuations !== undefined ? { continuations: options.continuations } : {}),
      ...responseTimeoutOption(access),
    }),
});
