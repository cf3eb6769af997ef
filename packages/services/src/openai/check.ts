/** Checks an OpenAI-compatible service (OpenAI, xAI) by reading its model (`GET /models/{model}`). */
import OpenAI from 'openai';
import {
  checkFailed,
  checkPassed,
  type VendorCheckAccess,
  type VendorCheckResult,
} from '../vendors/check.ts';

/**
 * Reads `model` with the key (https://platform.openai.com/docs/api-reference/models/retrieve).
 * @param label The vendor's name in messages, e.g. `OpenAI`, `xAI`.
 * @param defaultBaseUrl Where requests go when `access.baseUrl` is unset (with `/v1`).
 */
export async function checkOpenAIModel(
  label: string,
  defaultBaseUrl: string,
  model: string,
  access: VendorCheckAccess,
): Promise<VendorCheckResult> {
  const client = new OpenAI({
    // A self-hosted server may take no key; the SDK wants one all the same.
    apiKey: access.apiKey ?? 'no-key',
    baseURL: access.baseUrl ?? defaultBaseUrl,
    maxRetries: 0,
    timeout: 10_000,
    ...(access.fetch ? { fetch: access.fetch } : {}),
  });
  try {
    await client.models.retrieve(model, { signal: access.signal });
    return checkPassed(`${label} accepted the key and has model ${model}`);
  } catch (error) {
    return checkFailed(error, label, { code: 'unknown_model', message: `${label} has no model "${model}"` });
  }
}
