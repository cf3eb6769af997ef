/**
 * Checks an ElevenLabs service: TTS by reading its voice (`GET /v1/voices/{voice_id}`) and
 * finding its model (`GET /v1/models`); Scribe by its key alone (the model list has no Scribe
 * models). Error bodies: https://elevenlabs.io/docs/eleven-api/resources/errors.
 */
import type { ElevenLabsClient } from '@elevenlabs/elevenlabs-js';
import {
  checkFailed,
  checkPassed,
  type VendorCheckAccess,
  type VendorCheckResult,
} from '../vendors/check.ts';
import { loadElevenLabsSdk } from './sdk.ts';

const LABEL = 'ElevenLabs';

/** `detail.status` of an unknown voice (`voice_does_not_exist` in older answers). */
const VOICE_NOT_FOUND = new Set(['voice_not_found', 'voice_does_not_exist']);

/**
 * Reads `voice` (https://elevenlabs.io/docs/api-reference/voices/get) and looks `model` up among
 * the TTS models (https://elevenlabs.io/docs/api-reference/models/list), with the key.
 */
export async function checkElevenLabsTTS(
  voice: string,
  model: string,
  defaultBaseUrl: string,
  access: VendorCheckAccess,
): Promise<VendorCheckResult> {
  const unknownVoice = {
    code: 'unknown_voice',
    message: `ElevenLabs has no voice "${voice}" for this key`,
  } as const;
  const unknownModel = { code: 'unknown_model', message: `ElevenLabs has no TTS model "${model}"` } as const;
  try {
    const client = await createClient(defaultBaseUrl, access);
    const request = { abortSignal: access.signal };
    try {
      await client.voices.get(voice, {}, request);
    } catch (error) {
      // ElevenLabs answers an unknown voice with 400 `voice_not_found`.
      const status = field(error, 'statusCode');
      if (status === 404 || VOICE_NOT_FOUND.has(detailStatus(error) ?? '')) {
        return { ok: false, ...unknownVoice };
      }
      throw error;
    }
    const models = await client.models.list(request);
    if (!models.some((m) => m.modelId === model && m.canDoTextToSpeech !== false)) {
      return { ok: false, ...unknownModel };
    }
    return checkPassed(`ElevenLabs accepted the key and has voice ${voice} and model ${model}`);
  } catch (error) {
    return (
      missingPermission(error, `voice ${voice} and model ${model}`) ?? checkFailed(error, LABEL, unknownModel)
    );
  }
}

/**
 * Checks the key by listing the models (https://elevenlabs.io/docs/api-reference/models/list).
 * The Scribe model is not checked: the list names only speech models.
 */
export async function checkElevenLabsSTT(
  model: string,
  defaultBaseUrl: string,
  access: VendorCheckAccess,
): Promise<VendorCheckResult> {
  const unknownModel = { code: 'unknown_model', message: `ElevenLabs has no model "${model}"` } as const;
  try {
    const client = await createClient(defaultBaseUrl, access);
    await client.models.list({ abortSignal: access.signal });
    return checkPassed(
      `ElevenLabs accepted the key; it lists no Scribe models, so model ${model} is checked when a call starts`,
    );
  } catch (error) {
    return missingPermission(error, `model ${model}`) ?? checkFailed(error, LABEL, unknownModel);
  }
}

async function createClient(defaultBaseUrl: string, access: VendorCheckAccess): Promise<ElevenLabsClient> {
  const { ElevenLabsClient } = await loadElevenLabsSdk();
  return new ElevenLabsClient({
    apiKey: access.apiKey ?? '',
    baseUrl: access.baseUrl ?? defaultBaseUrl,
    maxRetries: 0,
    timeoutInSeconds: 10,
    ...(access.fetch ? { fetch: access.fetch } : {}),
  });
}

/**
 * A key restricted to some endpoints (e.g. synthesis only) is accepted but may not read voices
 * or models: ElevenLabs answers 401 `missing_permissions`. That says nothing against the key's
 * use in a call, so the result is "not checked", with ElevenLabs' message (which names the
 * permission).
 */
function missingPermission(error: unknown, what: string): VendorCheckResult | undefined {
  if (detailStatus(error) !== 'missing_permissions') return undefined;
  const said = detailMessage(error);
  return {
    ok: null,
    code: 'not_checked',
    message: `ElevenLabs accepted the key, but it may not read what the check needs${said ? ` (${said})` : ''}; ${what} will be checked when a call starts`,
  };
}

/** `detail.status` (or `detail.code`) of an SDK error's body, e.g. `voice_not_found`. */
function detailStatus(error: unknown): string | undefined {
  const detail = field(field(error, 'body'), 'detail');
  const status = field(detail, 'status') ?? field(detail, 'code');
  return typeof status === 'string' ? status : undefined;
}

/** `detail.message` of an SDK error's body. */
function detailMessage(error: unknown): string | undefined {
  const message = field(field(field(error, 'body'), 'detail'), 'message');
  return typeof message === 'string' ? message : undefined;
}

/** `value[key]` when `value` is an object. */
function field(value: unknown, key: string): unknown {
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[key] : undefined;
}
