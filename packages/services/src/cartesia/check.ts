/** Checks a Cartesia service by reading its voice (`GET /voices/{id}`). */
import {
  checkFailed,
  checkPassed,
  type VendorCheckAccess,
  type VendorCheckResult,
} from '../vendors/check.ts';
import { cartesiaSdk } from './sdk.ts';

/**
 * Reads `voice` with the key (https://docs.cartesia.ai/api-reference/voices/get). Cartesia
 * lists no models, so the model is checked when a call starts.
 */
export async function checkCartesiaVoice(
  voice: string,
  defaultBaseUrl: string,
  access: VendorCheckAccess,
): Promise<VendorCheckResult> {
  const unknown = {
    code: 'unknown_voice',
    message: `Cartesia has no voice "${voice}" for this key`,
  } as const;
  try {
    const client = new (cartesiaSdk().Cartesia)({
      apiKey: access.apiKey ?? '',
      baseURL: access.baseUrl ?? defaultBaseUrl,
      maxRetries: 0,
      timeout: 10_000,
      ...(access.fetch ? { fetch: access.fetch } : {}),
    });
    await client.voices.get(voice, {}, { signal: access.signal });
    return checkPassed(`Cartesia accepted the key and has voice ${voice}`);
  } catch (error) {
    return checkFailed(error, 'Cartesia', unknown);
  }
}
