/**
 * `GET/PUT /api/telephony-settings`: provider accounts, the credentials holding their secrets,
 * default provider and concurrency limit. Secrets are never returned.
 */
import type { ProviderName } from '@parley/telephony';
import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import { CredentialError, CredentialUnreadableError } from '../credentials/errors.ts';
import type { CredentialStore, NewCredential } from '../credentials/store.ts';
import { TelephonySettingsError, type TelephonySettingsRepository } from '../db/telephony-settings.ts';
import { type ConnectionTestResult, testProviderConnection } from '../telephony/connection-test.ts';
import {
  EMPTY_TELEPHONY_SETTINGS,
  PROVIDER_SECRET_FIELDS,
  PROVIDERS,
  providerApiOrigin,
  type StoredProviderSettings,
  type StoredTelephonySettings,
  telephonySettingsInputSchema,
} from '../telephony/settings.ts';
import { MASKED_SECRET } from './api-agents.ts';
import { sendCredentialError } from './api-credentials.ts';
import { sendApiError, sendInvalid } from './errors.ts';

/** What {@link apiTelephonySettingsRoutes} needs. */
export interface ApiTelephonySettingsDeps {
  readonly settings: TelephonySettingsRepository;
  readonly credentials: CredentialStore;
  /** The egress fetch, for `POST /api/telephony-settings/test`. */
  readonly fetch: typeof fetch;
}

const testBodySchema = z.strictObject({ provider: z.enum(['twilio', 'exotel', 'vobiz']) });

/**
 * The telephony settings API, as a Fastify plugin.
 *
 * - `GET /api/telephony-settings`: `{ defaultProvider, maxConcurrentCalls, twilio, exotel,
 *   vobiz, updatedAt }`; each provider names the credential of its secret (`credential`), never
 *   the secret.
 * - `PUT /api/telephony-settings` with the same shape: replaces the settings (an absent field
 *   is cleared) and returns them as GET does. A provider's secret is given either as the name of
 *   a credential of the provider's kind (`credential`), or inline (`twilio.authToken`,
 *   `exotel.apiToken`, `vobiz.authToken`): an inline secret is stored in the credential the
 *   section names, else in the one the settings name, else in a credential named after the
 *   provider, bound to the provider's API origin. An inline {@link MASKED_SECRET} (older
 *   clients) keeps the credential the settings name.
 *
 *   A credential is only sent to the origin it is bound to: a named (or kept) credential bound
 *   to another origin than the section's `apiBaseUrl` (default: the vendor's) is refused with
 *   400 `secret_required`; give the secret again to move it. Other refusals: 400
 *   `invalid_settings` with `issues` when the body does not validate, 400
 *   `credential_not_found` / `credential_kind_mismatch`. Stored settings that no longer
 *   validate (GET answers 500 `stored_settings_invalid` with `issues`) can be replaced.
 */
export function apiTelephonySettingsRoutes(deps: ApiTelephonySettingsDeps): FastifyPluginAsync {
  return async (app) => {
    app.get('/api/telephony-settings', async (_request, reply) => {
      try {
        return await deps.settings.getStored();
      } catch (error) {
        if (!(error instanceof TelephonySettingsError)) throw error;
        return sendApiError(
          reply,
          500,
          'stored_settings_invalid',
          'The stored telephony settings no longer validate: replace them with PUT /api/telephony-settings',
          [...error.issues],
        );
      }
    });

    app.put('/api/telephony-settings', async (request, reply) => {
      let stored: StoredTelephonySettings;
      try {
        stored = await deps.settings.getStored();
      } catch (error) {
        // Stored settings that no longer validate can still be replaced; their credentials stay in the store.
        if (!(error instanceof TelephonySettingsError)) throw error;
        request.log.warn({ err: error }, 'replacing telephony settings whose stored form is invalid');
        stored = EMPTY_TELEPHONY_SETTINGS;
      }
      const parsed = telephonySettingsInputSchema.safeParse(request.body);
      if (!parsed.success) {
        return sendInvalid(reply, 'invalid_settings', 'Invalid telephony settings', parsed.error);
      }
      const input = parsed.data;
      const providers: Record<string, unknown> = {};
      const writes: NewCredential[] = [];
      try {
        for (const provider of PROVIDERS) {
          const field = PROVIDER_SECRET_FIELDS[provider];
          const { [field]: inline, ...section } = input[provider] as Record<string, unknown> & {
            credential?: string;
          };
          const destination = providerApiOrigin(provider, input);
          let credential = section.credential;
          if (inline === MASKED_SECRET) credential ??= stored[provider].credential;
          if (typeof inline === 'string' && inline !== MASKED_SECRET) {
            credential ??= stored[provider].credential ?? provider;
            const existing = await deps.credentials.info(credential);
            if (existing && existing.kind !== provider) {
              throw new CredentialError(
                'credential_kind_mismatch',
                `${provider}.credential: credential "${credential}" is of kind ${existing.kind}, not ${provider}`,
              );
            }
            writes.push({ name: credential, kind: provider, value: { [field]: inline }, destination });
          } else if (credential !== undefined) {
            await deps.credentials.expectUsable(credential, provider, destination, `${provider}.credential`);
          }
          providers[provider] = { ...section, ...(credential === undefined ? {} : { credential }) };
        }
        for (const write of writes) await deps.credentials.put(write);
      } catch (error) {
        if (error instanceof CredentialError) return sendCredentialError(reply, error);
        throw error;
      }
      const saved = await deps.settings.put({
        defaultProvider: input.defaultProvider,
        maxConcurrentCalls: input.maxConcurrentCalls,
        ...(providers as StoredProviderSettings),
      });
      request.log.info(
        {
          defaultProvider: saved.defaultProvider,
          maxConcurrentCalls: saved.maxConcurrentCalls,
          credentialsWritten: writes.map((w) => w.name),
        },
        'telephony settings updated',
      );
      return saved;
    });

    app.post('/api/telephony-settings/test', async (request, reply) => {
      const body = testBodySchema.safeParse(request.body ?? {});
      if (!body.success) {
        return sendInvalid(reply, 'invalid_body', 'The body must be { provider }', body.error);
      }
      const { provider } = body.data;
      const result = await testStoredConnection(deps, provider);
      request.log.info({ provider, ok: result.ok, status: result.status }, 'telephony connection tested');
      return result;
    });
  };
}

/** Reads `provider`'s settings and secret (that provider's only) and tests them. */
async function testStoredConnection(
  deps: ApiTelephonySettingsDeps,
  provider: ProviderName,
): Promise<ConnectionTestResult> {
  let stored: StoredTelephonySettings;
  try {
    stored = await deps.settings.getStored();
  } catch (error) {
    if (!(error instanceof TelephonySettingsError)) throw error;
    return { ok: false, provider, status: null, message: 'The stored settings are invalid: save them again' };
  }
  let secret: string | undefined;
  const section = stored[provider];
  if (section.credential !== undefined) {
    try {
      const value = await deps.credentials.reveal(
        section.credential,
        provider,
        providerApiOrigin(provider, stored),
        `${provider}.credential`,
      );
      secret = (value as Record<string, string>)[PROVIDER_SECRET_FIELDS[provider]];
    } catch (error) {
      if (!(error instanceof CredentialError || error instanceof CredentialUnreadableError)) throw error;
      return {
        ok: false,
        provider,
        status: null,
        message: `The ${provider} credential cannot be used: ${error.message}`,
      };
    }
  }
  const account =
    provider === 'twilio'
      ? { accountId: stored.twilio.accountSid, apiBaseUrl: stored.twilio.apiBaseUrl }
      : provider === 'exotel'
        ? {
            accountId: stored.exotel.accountSid,
            apiKey: stored.exotel.apiKey,
            apiBaseUrl: stored.exotel.apiBaseUrl,
          }
        : { accountId: stored.vobiz.authId, apiBaseUrl: stored.vobiz.apiBaseUrl };
  return testProviderConnection(provider, { ...account, secret }, deps.fetch);
}
