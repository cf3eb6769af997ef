/** Checks a Claude service by reading its model (`GET /v1/models/{model}`). */
import Anthropic from '@anthropic-ai/sdk';
import {
  checkFailed,
  checkPassed,
  type VendorCheckAccess,
  type VendorCheckResult,
} from '../vendors/check.ts';

/** Reads `model` with the key (https://docs.anthropic.com/en/api/models). */
export async function checkAnthropicModel(
  model: string,
  defaultBaseUrl: string,
  access: VendorCheckAccess,
): Promise<VendorCheckResult> {
  const client = new Anthropic({
    apiKey: access.apiKey ?? null,
    baseURL: access.baseUrl ?? defaultBaseUrl,
    maxRetries: 0,
    timeout: 10_000,
    ...(access.fetch ? { fetch: access.fetch } : {}),
  });
  try {
    await client.models.retrieve(model, {}, { signal: access.signal });
    return checkPassed(`Anthropic accepted the key and has model ${model}`);
  } catch (error) {
    return checkFailed(error, 'Anthropic', {
      code: 'unknown_model',
      message: `Anthropic has no model "${model}"`,
    });
  }
}
