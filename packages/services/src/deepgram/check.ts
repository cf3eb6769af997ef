/** Checks a Deepgram service: its key by listing the models (`GET /v1/models`), and that its model is among them. */
import { DeepgramClient } from '@deepgram/sdk';
import {
  checkFailed,
  checkPassed,
  type VendorCheckAccess,
  type VendorCheckResult,
} from '../vendors/check.ts';

/**
 * Lists Deepgram's models with the key (https://developers.deepgram.com/reference/management-api/models/list)
 * and looks `model` up among those of `kind` (by canonical name).
 */
export async function checkDeepgramModel(
  kind: 'stt' | 'tts',
  model: string,
  defaultBaseUrl: string,
  access: VendorCheckAccess,
): Promise<VendorCheckResult> {
  const client = new DeepgramClient({
    apiKey: access.apiKey ?? '',
    baseUrl: access.baseUrl ?? defaultBaseUrl,
    maxRetries: 0,
    timeoutInSeconds: 10,
    ...(access.fetch ? { fetch: access.fetch } : {}),
  });
  const unknown = {
    code: 'unknown_model',
    message: `Deepgram has no ${kind.toUpperCase()} model "${model}"`,
  } as const;
  try {
    const listed = await client.manage.v1.models.list({}, { abortSignal: access.signal });
    const models = (kind === 'stt' ? listed.stt : listed.tts) ?? [];
    if (!models.some((m) => m.canonical_name === model || m.name === model)) {
      return { ok: false, ...unknown };
    }
    return checkPassed(`Deepgram accepted the key and has model ${model}`);
  } catch (error) {
    return checkFailed(error, 'Deepgram', unknown);
  }
}
