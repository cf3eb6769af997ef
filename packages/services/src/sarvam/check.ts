/**
 * Checks a Sarvam service. Sarvam lists no models or speakers, so they are compared with
 * {@link SARVAM_TTS_SPEAKERS} and {@link SARVAM_STT_MODELS}; the key is checked with the one free
 * authenticated read its API offers, the list of the key's pronunciation dictionaries
 * (`GET /text-to-speech/pronunciation-dictionary`, no synthesis, no credits).
 */
import {
  checkFailed,
  checkPassed,
  type VendorCheckAccess,
  type VendorCheckResult,
} from '../vendors/check.ts';
import { SARVAM_STT_MODELS, SARVAM_TTS_SPEAKERS } from './catalog.ts';
import { loadSarvamSdk } from './client.ts';

/** Checks that `model` has speaker `voice`, then the key. */
export async function checkSarvamTTS(
  model: string,
  voice: string,
  defaultBaseUrl: string,
  access: VendorCheckAccess,
): Promise<VendorCheckResult> {
  const speakers = SARVAM_TTS_SPEAKERS[model];
  if (!speakers) {
    return {
      ok: false,
      code: 'unknown_model',
      message: `Sarvam has no TTS model "${model}" (it has ${Object.keys(SARVAM_TTS_SPEAKERS).join(', ')})`,
    };
  }
  if (!speakers.includes(voice)) {
    return {
      ok: false,
      code: 'unknown_voice',
      message: `Sarvam's ${model} has no speaker "${voice}" (it has ${speakers.join(', ')})`,
    };
  }
  return checkKey(`${model} has speaker ${voice}`, defaultBaseUrl, access);
}

/** Checks that `model` is a streaming STT model, then the key. */
export async function checkSarvamSTT(
  model: string,
  defaultBaseUrl: string,
  access: VendorCheckAccess,
): Promise<VendorCheckResult> {
  if (!SARVAM_STT_MODELS.includes(model)) {
    return {
      ok: false,
      code: 'unknown_model',
      message: `Sarvam has no streaming STT model "${model}" (it has ${SARVAM_STT_MODELS.join(', ')})`,
    };
  }
  return checkKey(`it has model ${model}`, defaultBaseUrl, access);
}

/**
 * Lists the key's pronunciation dictionaries
 * (https://docs.sarvam.ai/api-reference-docs/pronunciation-dictionary/list): free, and refused
 * (403) for a wrong key.
 */
async function checkKey(
  passed: string,
  defaultBaseUrl: string,
  access: VendorCheckAccess,
): Promise<VendorCheckResult> {
  try {
    const { SarvamAIClient } = await loadSarvamSdk();
    const client = new SarvamAIClient({
      apiSubscriptionKey: access.apiKey ?? '',
      baseUrl: access.baseUrl ?? defaultBaseUrl,
      maxRetries: 0,
      timeoutInSeconds: 10,
      ...(access.fetch ? { fetch: access.fetch } : {}),
    });
    await client.pronunciationDictionary.list({ abortSignal: access.signal });
    return checkPassed(`Sarvam accepted the key, and ${passed}`);
  } catch (error) {
    // The model and speaker were settled above: a 404 is the endpoint's, not theirs.
    if (statusOf(error) === 404) {
      return { ok: false, code: 'vendor_error', message: 'Sarvam answered HTTP 404 to the key check' };
    }
    return checkFailed(error, 'Sarvam', { code: 'unknown_model', message: 'unused: 404 is answered above' });
  }
}

/** The `statusCode` of a `sarvamai` SDK error. */
function statusOf(error: unknown): unknown {
  return typeof error === 'object' && error !== null
    ? (error as { statusCode?: unknown }).statusCode
    : undefined;
}
