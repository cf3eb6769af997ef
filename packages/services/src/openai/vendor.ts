/** OpenAI (and any OpenAI-compatible chat-completions API) as an agent-configurable vendor. */
import { z } from 'zod';
import { defineVendor, responseTimeoutOption } from '../vendors/vendor.ts';
import { OpenAILLMService } from './llm.ts';
import { OpenAISTTService } from './stt.ts';
import { OpenAITTSService } from './tts.ts';

/** OpenAI's API base URL. */
export const OPENAI_API_BASE_URL = 'https://api.openai.com/v1';

/** Chat completions; `baseUrl` reaches other compatible servers (Ollama, vLLM, gateways). */
export const openaiLLMVendor = defineVendor({
  kind: 'llm',
  provider: 'openai',
  label: 'OpenAI',
  options: {
    /** Model id. Default `gpt-4o-mini`. */
    model: z.string().min(1).default('gpt-4o-mini'),
    /** Sampling temperature, 0–2. Default: the API's. */
    temperature: z.number().min(0).max(2).optional(),
  },
  key: { credentialKind: 'openai', variable: 'OPENAI_API_KEY', required: false },
  defaultBaseUrl: OPENAI_API_BASE_URL,
  baseUrlVariable: 'OPENAI_BASE_URL',
  check: (options, access) =>
    import('./check.ts').then((m) =>
      m.checkOpenAIModel('OpenAI', OPENAI_API_BASE_URL, options.model, access),
    ),
  create: (options, access) =>
    new OpenAILLMService({
      name: access.name,
      apiKey: access.apiKey ?? 'not-needed',
      baseUrl: access.baseUrl ?? OPENAI_API_BASE_URL,
      env: {}, // the key and base URL the server chose, never the process environment's
      model: options.model,
      ...(options.temperature !== undefined ? { temperature: options.temperature } : {}),
      ...(access.fetch ? { fetch: access.fetch } : {}),
      ...responseTimeoutOption(access),
    }),
});

/** The server's OpenAI key; OpenAI's speech APIs are not offered by most compatible servers, so no base-URL variable. */
const openaiKey = { credentialKind: 'openai', variable: 'OPENAI_API_KEY', required: true } as const;

/** Realtime transcription (https://platform.openai.com/docs/guides/realtime-transcription). */
export const openaiSTTVendor = defineVendor({
  kind: 'stt',
  provider: 'openai',
  label: 'OpenAI transcription',
  options: {
    /** Model id. Default `gpt-4o-mini-transcribe`. */
    model: z.string().min(1).default('gpt-4o-mini-transcribe'),
    /** Words and names that help recognition, as a sentence. */
    prompt: z.string().max(1000).optional(),
    /** Noise reduction for the microphone: `near_field` (handsets) or `far_field`. Default none. */
    noiseReduction: z.enum(['near_field', 'far_field']).optional(),
  },
  key: openaiKey,
  defaultBaseUrl: OPENAI_API_BASE_URL,
  check: (options, access) =>
    import('./check.ts').then((m) =>
      m.checkOpenAIModel('OpenAI', OPENAI_API_BASE_URL, options.model, access),
    ),
  create: (options, access) =>
    new OpenAISTTService({
      name: access.name,
      ...(access.apiKey !== undefined ? { apiKey: access.apiKey } : {}),
      baseUrl: access.baseUrl ?? OPENAI_API_BASE_URL,
      model: options.model,
      language: access.language,
      ...(options.prompt !== undefined ? { prompt: options.prompt } : {}),
      ...(options.noiseReduction !== undefined ? { noiseReduction: options.noiseReduction } : {}),
    }),
});

/** Speech (https://platform.openai.com/docs/api-reference/audio/createSpeech), streamed 24 kHz PCM. */
export const openaiTTSVendor = defineVendor({
  kind: 'tts',
  provider: 'openai',
  label: 'OpenAI speech',
  options: {
    /** Model id. Default `gpt-4o-mini-tts`. */
    model: z.string().min(1).default('gpt-4o-mini-tts'),
    /** Voice. Default `alloy`. */
    voice: z.string().min(1).default('alloy'),
    /** How to speak (tone, pace), for `gpt-4o-mini-tts`. */
    instructions: z.string().max(4000).optional(),
    /** Speed, 0.25–4. Default 1. */
    speed: z.number().min(0.25).max(4).optional(),
  },
  key: openaiKey,
  defaultBaseUrl: OPENAI_API_BASE_URL,
  check: (options, access) =>
    import('./check.ts').then((m) =>
      m.checkOpenAIModel('OpenAI', OPENAI_API_BASE_URL, options.model, access),
    ),
  create: (options, access) =>
    new OpenAITTSService({
      name: access.name,
      ...(access.apiKey !== undefined ? { apiKey: access.apiKey } : {}),
      baseUrl: access.baseUrl ?? OPENAI_API_BASE_URL,
      model: options.model,
      voice: options.voice,
      ...(options.instructions !== undefined ? { instructions: options.instructions } : {}),
      ...(options.speed !== undefined ? { speed: options.speed } : {}),
      ...(access.fetch ? { fetch: access.fetch } : {}),
      ...responseTimeoutOption(access),
    }),
});
