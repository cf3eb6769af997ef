/**
 * Reads and writes the one row of `telephony_settings`. The row names the credentials of the
 * providers; {@link TelephonySettingsRepository.get} reads their secrets from the credential store.
 */
import type { Kysely } from 'kysely';
import { formatIssues } from '../config/agent-config.ts';
import type { CredentialStore } from '../credentials/store.ts';
import {
  EMPTY_TELEPHONY_SETTINGS,
  PROVIDER_SECRET_FIELDS,
  PROVIDERS,
  providerApiOrigin,
  providerSettingsSchema,
  type StoredTelephonySettings,
  type TelephonySettings,
} from '../telephony/settings.ts';
import type { DB } from './schema.ts';

/**
 * The stored row is invalid (written by something other than this repository), or a credential
 * it names cannot be used (missing, bound to another destination, undecryptable).
 */
export class TelephonySettingsError extends Error {
  override readonly name = 'TelephonySettingsError';
  constructor(
    message: string,
    options?: ErrorOptions & {
      /** What is wrong, one line per field (`twilio.accountSid: …`). */
      readonly issues?: readonly string[];
    },
  ) {
    super(message, options);
    this.issues = options?.issues ?? [];
  }

  readonly issues: readonly string[];
}

/** The telephony settings row (`telephony_settings`, id 1), validated on the way out. */
export class TelephonySettingsRepository {
  constructor(
    private readonly db: Kysely<DB>,
    private readonly credentials: CredentialStore,
  ) {}

  /**
   * The settings with each provider's secret read from its credential;
   * {@link EMPTY_TELEPHONY_SETTINGS} before the first {@link put}. A credential that cannot be
   * used fails the whole read rather than leaving a secret out, which would switch off the
   * checks of webhook signatures.
   * @throws {@link TelephonySettingsError} when the stored JSON does not validate or a credential cannot be used.
   */
  async get(): Promise<TelephonySettings> {
    const stored = await this.getStored();
    const resolved: Record<string, unknown> = { ...stored };
    for (const provider of PROVIDERS) {
      const section = stored[provider];
      if (section.credential === undefined) continue;
      const field = PROVIDER_SECRET_FIELDS[provider];
      try {
        const value = await this.credentials.reveal(
          section.credential,
          provider,
          providerApiOrigin(provider, stored),
          `${provider}.credential`,
        );
        resolved[provider] = { ...section, [field]: (value as Record<string, string>)[field] };
      } catch (error) {
        throw new TelephonySettingsError(
          `the ${provider} credential cannot be used: ${error instanceof Error ? error.message : String(error)}`,
          { cause: error },
        );
      }
    }
    return resolved as unknown as TelephonySettings;
  }

  /**
   * The settings as stored: credential names, no secrets; {@link EMPTY_TELEPHONY_SETTINGS} before the first {@link put}.
   * @throws {@link TelephonySettingsError} when the stored provider JSON does not validate.
   */
  async getStored(): Promise<StoredTelephonySettings> {
    const row = await this.db
      .selectFrom('telephony_settings')
      .selectAll()
      .where('id', '=', 1)
      .executeTakeFirst();
    if (!row) return EMPTY_TELEPHONY_SETTINGS;
    const providers = providerSettingsSchema.safeParse(row.providers);
    if (!providers.success) {
      const issues = formatIssues(providers.error.issues);
      throw new TelephonySettingsError(`stored telephony settings are invalid: ${issues.join('; ')}`, {
        issues,
      });
    }
    return {
      defaultProvider: row.default_provider as StoredTelephonySettings['defaultProvider'],
      maxConcurrentCalls: row.max_concurrent_calls,
      ...providers.data,
      updatedAt: row.updated_at,
    };
  }

  /**
   * Replaces the settings (check first that the credentials they name may go to the providers'
   * API origins; see `routes/api-telephony-settings.ts`); returns them as stored.
   * @throws {@link TelephonySettingsError} when a provider section is invalid or holds a secret
   *   (secrets belong in credentials).
   * @throws The database driver's error when the write fails.
   */
  async put(settings: Omit<StoredTelephonySettings, 'updatedAt'>): Promise<StoredTelephonySettings> {
    const { defaultProvider, maxConcurrentCalls, twilio, exotel, vobiz } = settings;
    const providers = providerSettingsSchema.safeParse({ twilio, exotel, vobiz });
    if (!providers.success) {
      throw new TelephonySettingsError(`invalid telephony settings: ${providers.error.message}`);
    }
    const values = {
      default_provider: defaultProvider,
      max_concurrent_calls: maxConcurrentCalls,
      providers: JSON.stringify(providers.data),
      updated_at: new Date(),
    };
    await this.db
      .insertInto('telephony_settings')
      .values({ id: 1, ...values })
      .onConflict((oc) => oc.column('id').doUpdateSet(values))
      .execute();
    return this.getStored();
  }
}
