/**
 * Reads and writes the one row of `telephony_settings`.
 */
import type { Kysely } from 'kysely';
import {
  EMPTY_TELEPHONY_SETTINGS,
  providerSettingsSchema,
  type TelephonySettings,
} from '../telephony/settings.ts';
import type { DB } from './schema.ts';

/** The stored row is invalid (written by something other than this repository). */
export class TelephonySettingsError extends Error {
  override readonly name = 'TelephonySettingsError';
}

/** The telephony settings row (`telephony_settings`, id 1), validated on the way out. */
export class TelephonySettingsRepository {
  constructor(private readonly db: Kysely<DB>) {}

  /**
   * The settings; {@link EMPTY_TELEPHONY_SETTINGS} before the first {@link put}.
   * @throws {@link TelephonySettingsError} when the stored provider JSON does not validate.
   */
  async get(): Promise<TelephonySettings> {
    const row = await this.db
      .selectFrom('telephony_settings')
      .selectAll()
      .where('id', '=', 1)
      .executeTakeFirst();
    if (!row) return EMPTY_TELEPHONY_SETTINGS;
    const providers = providerSettingsSchema.safeParse(row.providers);
    if (!providers.success) {
      throw new TelephonySettingsError(`stored telephony settings are invalid: ${providers.error.message}`);
    }
    return {
      defaultProvider: row.default_provider as TelephonySettings['defaultProvider'],
      maxConcurrentCalls: row.max_concurrent_calls,
      ...providers.data,
      updatedAt: row.updated_at,
    };
  }

  /**
   * Replaces the settings (validate them first, e.g. with `telephonySettingsInputSchema`);
   * returns them as stored.
   * @throws The database driver's error when the write fails.
   */
  async put(settings: Omit<TelephonySettings, 'updatedAt'>): Promise<TelephonySettings> {
    const { defaultProvider, maxConcurrentCalls, twilio, exotel, vobiz } = settings;
    const values = {
      default_provider: defaultProvider,
      max_concurrent_calls: maxConcurrentCalls,
      providers: JSON.stringify({ twilio, exotel, vobiz }),
      updated_at: new Date(),
    };
    await this.db
      .insertInto('telephony_settings')
      .values({ id: 1, ...values })
      .onConflict((oc) => oc.column('id').doUpdateSet(values))
      .execute();
    return this.get();
  }
}
