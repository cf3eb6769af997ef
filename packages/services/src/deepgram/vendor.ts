/** Deepgram as an agent-configurable vendor. */
import { z } from 'zod';
import { defineVendor } from '../vendors/vendor.ts';
import { DeepgramSTTService } from './stt.ts';

/** Deepgram's API base URL (the services speak WebSocket to its `wss:` form). */
export const DEEPGRAM_API_BASE_URL = 'https://api.deepgram.com';

/** `https://host` → `wss://host` (and `http` → `ws`), for SDKs that take a WebSocket base URL. */
export function webSocketBaseUrl(url: string): string {
  return url.replace(/^http(s?):/, 'ws$1:');
}

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
  key: { credentialKind: 'deepgram', variable: 'DEEPGRAM_API_KEY', required: true },
  defaultBaseUrl: DEEPGRAM_API_BASE_URL,
  baseUrlVariable: 'DEEPGRAM_BASE_URL',
  create: (options, access) =>
    new DeepgramSTTService({
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
