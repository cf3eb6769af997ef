/**
 * The ordered list of schema migrations, as an in-code Kysely migration provider
 * (no file-system scanning, so it works the same from source, bundles and tests).
 */
import type { Migration, MigrationProvider } from 'kysely';
import { initialMigration } from './0001_initial.ts';
import { telephonyMigration } from './0002_telephony.ts';
import { authMigration } from './0003_auth.ts';
import { credentialsMigration } from './0004_credentials.ts';
import { durabilityMigration } from './0005_durability.ts';
import { toolsMigration } from './0006_tools.ts';
import { flowsMigration } from './0007_flows.ts';
import { usageMigration } from './0008_usage.ts';
import { analysisMigration } from './0009_analysis.ts';

/** Every migration by name; Kysely applies them in name order. */
export const migrations: Readonly<Record<string, Migration>> = {
  '0001_initial': initialMigration,
  '0002_telephony': telephonyMigration,
  '0003_auth': authMigration,
  '0004_credentials': credentialsMigration,
  '0005_durability': durabilityMigration,
  '0006_tools': toolsMigration,
  '0007_flows': flowsMigration,
  '0008_usage': usageMigration,
  '0009_analysis': analysisMigration,
};

/** A `MigrationProvider` for Kysely's `Migrator` that serves {@link migrations}. */
export const migrationProvider: MigrationProvider = {
  getMigrations: async () => ({ ...migrations }),
};
