/**
 * `GET/PUT /api/telephony-settings`: provider credentials, default provider and concurrency
 * limit. Secrets are never returned.
 */
import type { FastifyPluginAsync } from 'fastify';
import { formatIssues } from '../config/agent-config.ts';
import { TelephonySettingsError, type TelephonySettingsRepository } from '../db/telephony-settings.ts';
import {
  EMPTY_TELEPHONY_SETTINGS,
  type ProviderSettings,
  type TelephonySettings,
  telephonySettingsInputSchema,
} from '../telephony/settings.ts';
import { MASKED_SECRET } from './api-agents.ts';
import { sendApiError } from './errors.ts';

/** What {@link apiTelephonySettingsRoutes} needs. */
export interface ApiTelephonySettingsDeps {
  readonly settings: TelephonySettingsRepository;
}

/** The secret fields, by provider. */
const SECRETS = {
  twilio: ['authToken'],
  exotel: ['apiToken'],
  vobiz: ['authToken'],
} as const satisfies { [P in keyof ProviderSettings]: readonly (keyof ProviderSettings[P])[] };

/**
 * The telephony settings API, as a Fastify plugin.
 *
 * - `GET /api/telephony-settings`: `{ defaultProvider, maxConcurrentCalls, twilio, exotel,
 *   vobiz, updatedAt }`; each secret (`twilio.authToken`, `exotel.apiToken`, `vobiz.authToken`)
 *   is {@link MASKED_SECRET} when set and absent otherwise.
 * - `PUT /api/telephony-settings` with the same shape: replaces the settings (an absent field
 *   is cleared) and returns them as GET does. A secret of {@link MASKED_SECRET} keeps the stored
 *   one. 400 `invalid_settings` with `issues` when the body does not validate. Stored settings
 *   that no longer validate (GET answers 500) can be replaced, secrets included.
 */
export function apiTelephonySettingsRoutes(deps: ApiTelephonySettingsDeps): FastifyPluginAsync {
  return async (app) => {
    app.get('/api/telephony-settings', async () => maskSecrets(await deps.settings.get()));

    app.put('/api/telephony-settings', async (request, reply) => {
      let stored: TelephonySettings;
      try {
        stored = await deps.settings.get();
      } catch (error) {
        // Stored settings that no longer validate can still be replaced, but their secrets are lost.
        if (!(error instanceof TelephonySettingsError)) throw error;
        request.log.warn({ err: error }, 'replacing telephony settings whose stored form is invalid');
        stored = EMPTY_TELEPHONY_SETTINGS;
      }
      const parsed = telephonySettingsInputSchema.safeParse(restoreSecrets(request.body, stored));
      if (!parsed.success) {
        return sendApiError(
          reply,
          400,
          'invalid_settings',
          'Invalid telephony settings',
          formatIssues(parsed.error.issues),
        );
      }
      const saved = await deps.settings.put(parsed.data);
      request.log.info(
        { defaultProvider: saved.defaultProvider, maxConcurrentCalls: saved.maxConcurrentCalls },
        'telephony settings updated',
      );
      return maskSecrets(saved);
    });
  };
}

function maskSecrets(settings: TelephonySettings): TelephonySettings {
  const masked = { ...settings };
  for (const provider of ['twilio', 'exotel', 'vobiz'] as const) {
    const section: Record<string, unknown> = { ...settings[provider] };
    for (const key of SECRETS[provider]) if (section[key] !== undefined) section[key] = MASKED_SECRET;
    Object.assign(masked, { [provider]: section });
  }
  return masked;
}

/** `body` (unvalidated) with each masked secret replaced by the stored one, or removed when none is stored. */
function restoreSecrets(body: unknown, stored: TelephonySettings): unknown {
  if (!isRecord(body)) return body;
  const restored: Record<string, unknown> = { ...body };
  for (const provider of ['twilio', 'exotel', 'vobiz'] as const) {
    const section = body[provider];
    if (!isRecord(section)) continue;
    const copy: Record<string, unknown> = { ...section };
    const storedSection: Record<string, unknown> = stored[provider];
    for (const key of SECRETS[provider]) {
      if (copy[key] !== MASKED_SECRET) continue;
      if (storedSection[key] === undefined) delete copy[key];
      else copy[key] = storedSection[key];
    }
    restored[provider] = copy;
  }
  return restored;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
