/** Deepgram as an agent-configurable vendor. */
import { z } from 'zod';
import { defineVendor, responseTimeoutOption } from '../vendors/vendor.ts';
import { DeepgramSTTService } from './stt.ts';
import { DeepgramTTSService } from './tts.ts';

/** Deepgram's API base URL (the services speak WebSocket to its `wss:` form). */
export const DEEPGRAM_API_BASE_URL = 'https://api.deepgram.com';

/** `https://host` → `wss://host` (and `http` → `ws`), for SDKs that take a WebSocket base URL. */
export function webSocketBaseUrl(url: string): string {
  return url.replace(/^http(s?):/, 'ws$1:');
}

const deepgramKey = { credentialKind: 'deepgram', variable: 'DEEPGRAM_API_KEY', required: true } as const;

/** Live streaming recognition (https://developers.deepgram.com/docs/live-streaming-audio). */
export const deepgramSTTVendor = defineVendor({
  kind: 'stt',
  provider: 'deepgram',
  label: 'Deepgram',
  options: {
    /** Model (https://developers.deepgram.com/docs/models-languages-overview). Default `nova-3`. */
    model: z.string().min(1).default('nova-3'),
    /** Words and phrases to boost, e.g. product names (nova-3 `keyterm`). */
    keyterms: z.array(z.string().trim().min(1).max(100)).max(100).optional(),
    /** Silence that ends an utterance, ms (Deepgram's `endpointing`). Default 300. */
    endpointingMs: z.number().int().min(10).max(10_000).optional(),
    /** Gap after the last word that ends the utterance regardless of noise, ms, ≥ 1000. Default 1000. */
    utteranceEndMs: z.number().int().min(1000).max(10_000).optional(),
    /** Numbers, dates and punctuation formatted. Default true. */
    smartFormat: z.boolean().optional(),
  },
  key: deepgramKey,
  defaultBaseUrl: DEEPGRAM_API_BASE_URL,
  baseUrlVariable: 'DEEPGRAM_BASE_URL',
  check: (options, access) =>
    import('./check.ts').then((m) =>
      m.checkDeepgramModel('stt', options.model, DEEPGRAM_API_BASE_URL, access),
    ),
  create: (options, access) =>
    new DeepgramSTTService({
      name: access.name,
      ...(access.apiKey !== undefined ? { apiKey: access.apiKey } : {}),
      baseUrl: webSocketBaseUrl(access.baseUrl ?? DEEPGRAM_API_BASE_URL),
      model: options.model,
      language: access.language,
      ...(options.keyterms ? { keyterms: options.keyterms } : {}),
      ...(options.endpointingMs !== undefined ? { endpointingMs: options.endpointingMs } : {}),
      ...(options.utteranceEndMs !== undefined ? { utteranceEndMs: options.utteranceEndMs } : {}),
      ...(options.smartFormat !== undefined ? { smartFormat: options.smartFormat } : {}),
    }),
});

/** Aura speech (https://developers.deepgram.com/docs/text-to-speech), raw audio at the call's rate. */
export const deepgramTTSVendor = defineVendor({
  kind: 'tts',
  provider: 'deepgram',
  label: 'Deepgram Aura',
  options: {
    /** Voice model, e.g. `aura-2-thalia-en`. Default `aura-2-thalia-en`. */
    model: z.string().min(1).default('aura-2-thalia-en'),
    /** `linear16` (default) or `mulaw` (the phone's own encoding at 8 kHz). */
    encoding: z.enum(['linear16', 'mulaw']).optional(),
    /** Speaking rate, 0.7–1.5. Default 1. */
    speed: z.number().min(0.7).max(1.5).optional(),
  },
  key: deepgramKey,
  defaultBaseUrl: DEEPGRAM_API_BASE_URL,
  baseUrlVariable: 'DEEPGRAM_BASE_URL',
  check: (options, access) =>
    import('./check.ts').then((m) =>
      m.checkDeepgramModel('tts', options.model, DEEPGRAM_API_BASE_URL, access),
    ),
  create: (options, access) =>
    new DeepgramTTSService({
      name: access.name,
      ...(access.apiKey !== undefined ? { apiKey: access.apiKey } : {}),
      baseUrl: access.baseUrl ?? DEEPGRAM_API_BASE_URL,
      model: options.model,
      ...(options.encoding !== undefined ? { encoding: options.encoding } : {}),
      ...(options.speed !== undefined ? { speed: options.speed } : {}),
      ...(access.fetch ? { fetch: access.fetch } : {}),
      ...responseTimeoutOption(access),
    }),
});
