/** Checks a Gemini service by reading its model (`GET /v1beta/models/{model}`). */
import { GoogleGenAI } from '@google/genai';
import {
  checkFailed,
  checkPassed,
  type VendorCheckAccess,
  type VendorCheckResult,
} from '../vendors/check.ts';

/** Reads `model` with the key (https://ai.google.dev/api/models#method:-models.get). */
export async function checkGeminiModel(
  model: string,
  defaultBaseUrl: string,
  access: VendorCheckAccess,
): Promise<VendorCheckResult> {
  const ai = new GoogleGenAI({
    vertexai: false,
    apiKey: access.apiKey ?? '',
    httpOptions: {
      baseUrl: access.baseUrl ?? defaultBaseUrl,
      apiVersion: 'v1beta',
      timeout: 10_000,
      ...(access.fetch ? { fetch: access.fetch } : {}),
    },
  });
  try {
    await ai.models.get({ model, config: { abortSignal: access.signal } });
    return checkPassed(`Google accepted the key and has model ${model}`);
  } catch (error) {
    // The Gemini API answers a key it does not know with 400 API_KEY_INVALID.
    if (/API_KEY_INVALID|API key not valid/.test(String(error instanceof Error ? error.message : error))) {
      return { ok: false, code: 'unauthorized', message: 'Google refused the key (API key not valid)' };
    }
    return checkFailed(error, 'Google', { code: 'unknown_model', message: `Google has no model "${model}"` });
  }
}
