/** ElevenLabs as an agent-configurable vendor. */
import { z } from 'zod';
import { defineVendor, responseTimeoutOption } from '../vendors/vendor.ts';
import { ELEVENLABS_BASE_URL } from './client-config.ts';
import { DEFAULT_ELEVENLABS_STT_MODEL, ElevenLabsSTTService } from './stt.ts';
import { DEFAULT_ELEVENLABS_TTS_MODEL, DEFAULT_ELEVENLABS_VOICE_ID, ElevenLabsTTSService } from './tts.ts';

const elevenlabsKey = {
  credentialKind: 'elevenlabs',
  variable: 'ELEVENLABS_API_KEY',
  required: true,
} as const;

/** Scribe realtime recognition (https://elevenlabs.io/docs/api-reference/speech-to-text/v-1-speech-to-text-realtime). */
export const elevenlabsSTTVendor = defineVendor({
  kind: 'stt',
  provider: 'elevenlabs',
  label: 'ElevenLabs Scribe',
  options: {
    /** Model id. Default `scribe_v2_realtime`. */
    model: z.string().min(1).default(DEFAULT_ELEVENLABS_STT_MODEL),
    /** Who ends an utterance: `manual` (Parley's turn detection, the default) or `vad` (Scribe's). */
    commitStrategy: z.enum(['manual', 'vad']).optional(),
    /** Words and phrases to boost. */
    keyterms: z.array(z.string().trim().min(1).max(100)).max(100).optional(),
  },
  key: elevenlabsKey,
  defaultBaseUrl: ELEVENLABS_BASE_URL,
  baseUrlVariable: 'ELEVENLABS_BASE_URL',
  check: (options, access) =>
    import('./check.ts').then((m) => m.checkElevenLabsSTT(options.model, ELEVENLABS_BASE_URL, access)),
  create: (options, access) =>
    new ElevenLabsSTTService({
      name: access.name,
      apiKey: access.apiKey ?? '',
      baseUrl: access.baseUrl ?? ELEVENLABS_BASE_URL,
      model: options.model,
      language: access.language,
      ...(options.commitStrategy !== undefined ? { commitStrategy: options.commitStrategy } : {}),
      ...(options.keyterms ? { keyterms: options.keyterms } : {}),
    }),
});

/** Streaming speech with character timestamps (https://elevenlabs.io/docs/api-reference/text-to-speech/stream-with-timestamps). */
export const elevenlabsTTSVendor = defineVendor({
  kind: 'tts',
  provider: 'elevenlabs',
  label: 'ElevenLabs',
  options: {
    /** Voice id. Default `JBFqnCBsd6RMkjVDRZzb` ("George"). */
    voice: z.string().min(1).default(DEFAULT_ELEVENLABS_VOICE_ID),
    /** Model id. Default `eleven_flash_v2_5`. */
    model: z.string().min(1).default(DEFAULT_ELEVENLABS_TTS_MODEL),
    /** Voice settings, each 0–1 but `speed` (0.7–1.2). Default: the voice's own. */
    voiceSettings: z
      .strictObject({
        stability: z.number().min(0).max(1).optional(),
        similarityBoost: z.number().min(0).max(1).optional(),
        style: z.number().min(0).max(1).optional(),
        useSpeakerBoost: z.boolean().optional(),
        speed: z.number().min(0.7).max(1.2).optional(),
      })
      .optional(),
  },
  key: elevenlabsKey,
  defaultBaseUrl: ELEVENLABS_BASE_URL,
  baseUrlVariable: 'ELEVENLABS_BASE_URL',
  check: (options, access) =>
    import('./check.ts').then((m) =>
      m.checkElevenLabsTTS(options.voice, options.model, ELEVENLABS_BASE_URL, access),
    ),
  create: (options, access) =>
    new ElevenLabsTTSService({
      name: access.name,
      apiKey: access.apiKey ?? '',
      baseUrl: access.baseUrl ?? ELEVENLABS_BASE_URL,
      voiceId: options.voice,
      model: options.model,
      language: access.language,
      ...(options.voiceSettings ? { voiceSettings: options.voiceSettings } : {}),
      ...(access.fetch ? { fetch: access.fetch } : {}),
      ...responseTimeoutOption(access),
    }),
});
