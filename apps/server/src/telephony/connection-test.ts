/**
 * "Test connection" of the telephony settings: one authenticated read of the provider's account
 * API with the stored credentials, to tell an administrator whether they work. The answer never
 * carries the secret, nor the provider's body (which may echo it: Vobiz's `auth/me` does).
 */
import type { ProviderName } from '@parley/telephony';
import { EXOTEL_API_BASE_URL, VOBIZ_API_BASE_URL } from '@parley/telephony';

/** What a connection test found. */
export interface ConnectionTestResult {
  /** The provider accepted the credentials (a 2xx answer). */
  readonly ok: boolean;
  readonly provider: ProviderName;
  /** The provider's HTTP status; null when no answer came (not configured, unreachable, refused). */
  readonly status: number | null;
  /** One sentence for people, without secrets. */
  readonly message: string;
}

/** One provider's settings with its secret (server-side only). */
export interface ProviderAccount {
  /** Twilio: account SID (`AC…`); Exotel: account SID; Vobiz: auth ID. */
  readonly accountId?: string | undefined;
  /** Exotel only: the API key (Basic-auth user name). */
  readonly apiKey?: string | undefined;
  /** Twilio auth token, Exotel API token or Vobiz auth token. */
  readonly secret?: string | undefined;
  /** The REST API base; default the vendor's. */
  readonly apiBaseUrl?: string | undefined;
}

/** Longest wait for the provider's answer, ms. */
export const CONNECTION_TEST_TIMEOUT_MS = 10_000;

const TWILIO_API_BASE_URL = 'https://api.twilio.com';
const LIST = new Intl.ListFormat('en', { type: 'conjunction' });
const LABELS: Readonly<Record<ProviderName, string>> = { twilio: 'Twilio', exotel: 'Exotel', vobiz: 'Vobiz' };

/**
 * The request that proves `account` works, or the names of what is missing:
 * - Twilio: `GET {base}/2010-04-01/Accounts/{sid}.json`, Basic `sid:authToken`
 *   (https://www.twilio.com/docs/usage/api/account#fetch-an-account-resource).
 * - Exotel: `GET {base}/v1/Accounts/{sid}/Balance.json`, Basic `apiKey:apiToken`
 *   (https://developer.exotel.com/docs/voice-v1/api-reference/balance).
 * - Vobiz: `GET {base}/auth/me` with `X-Auth-ID` / `X-Auth-Token`
 *   (https://docs.vobiz.ai/account/retrieve-account).
 */
function accountRequest(
  provider: ProviderName,
  account: ProviderAccount,
): { url: string; headers: Record<string, string> } | { missing: string[] } {
  const { accountId, apiKey, secret } = account;
  const base = (url: string) => (account.apiBaseUrl ?? url).replace(/\/+$/, '');
  const basic = (user: string, password: string) =>
    `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
  switch (provider) {
    case 'twilio': {
      if (!accountId || !secret)
        return { missing: missingOf({ 'account SID': accountId, 'auth token': secret }) };
      return {
        url: `${base(TWILIO_API_BASE_URL)}/2010-04-01/Accounts/${encodeURIComponent(accountId)}.json`,
        headers: { authorization: basic(accountId, secret) },
      };
    }
    case 'exotel': {
      if (!accountId || !apiKey || !secret) {
        return { missing: missingOf({ 'account SID': accountId, 'API key': apiKey, 'API token': secret }) };
      }
      return {
        url: `${base(EXOTEL_API_BASE_URL)}/v1/Accounts/${encodeURIComponent(accountId)}/Balance.json`,
        headers: { authorization: basic(apiKey, secret) },
      };
    }
    case 'vobiz': {
      if (!accountId || !secret)
        return { missing: missingOf({ 'auth ID': accountId, 'auth token': secret }) };
      return {
        url: `${base(VOBIZ_API_BASE_URL)}/auth/me`,
        headers: { 'x-auth-id': accountId, 'x-auth-token': secret },
      };
    }
  }
}

function missingOf(fields: Record<string, string | undefined>): string[] {
  return Object.entries(fields)
    .filter(([, value]) => !value)
    .map(([name]) => name);
}

/**
 * Asks `provider`'s account API whether `account`'s credentials work, through `fetch` (the
 * egress fetch: a base URL at a refused address is not contacted). Never throws: every failure
 * is a result with `ok: false`. The provider's body is not read into the answer.
 */
export async function testProviderConnection(
  provider: ProviderName,
  account: ProviderAccount,
  fetch: typeof globalThis.fetch,
  signal?: AbortSignal,
): Promise<ConnectionTestResult> {
  const label = LABELS[provider];
  const request = accountRequest(provider, account);
  if ('missing' in request) {
    return {
      ok: false,
      provider,
      status: null,
      message: `${label} is not configured: set its ${LIST.format(request.missing)} first`,
    };
  }
  const timeout = AbortSignal.timeout(CONNECTION_TEST_TIMEOUT_MS);
  let response: Response;
  try {
    response = await fetch(request.url, {
      method: 'GET',
      headers: { accept: 'application/json', ...request.headers },
      redirect: 'manual',
      signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
    });
  } catch (error) {
    return { ok: false, provider, status: null, message: `${label} could not be reached: ${reason(error)}` };
  }
  // Only the status matters; drop the body (it may hold account details or the secret itself).
  await response.body?.cancel().catch(() => undefined);
  const { status } = response;
  if (status >= 200 && status < 300) {
    return { ok: true, provider, status, message: `${label} accepted the credentials` };
  }
  if (status === 401 || status === 403) {
    return { ok: false, provider, status, message: `${label} refused the credentials (HTTP ${status})` };
  }
  if (status === 404) {
    return {
      ok: false,
      provider,
      status,
      message: `${label} does not know this account (HTTP 404): check the account ID and the API base URL`,
    };
  }
  return { ok: false, provider, status, message: `${label} answered HTTP ${status}` };
}

/** Why a request failed, in words: the egress refusal, a time-out, or the deepest network error's code or message. */
function reason(error: unknown): string {
  if (error instanceof Error && error.name === 'TimeoutError') {
    return `no answer within ${CONNECTION_TEST_TIMEOUT_MS / 1000} s`;
  }
  let deepest = 'unknown error';
  for (let e: unknown = error, depth = 0; e instanceof Error && depth < 4; e = e.cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (code === 'ERR_EGRESS_REFUSED') return e.message;
    deepest = typeof code === 'string' ? code : e.message;
  }
  return deepest;
}
