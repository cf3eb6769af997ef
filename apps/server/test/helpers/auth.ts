/**
 * Credentials for tests: API keys of any role, made straight in the database.
 */
import { newApiKey } from '../../src/auth/api-keys.ts';
import type { Role } from '../../src/auth/roles.ts';
import { ApiKeyRepository } from '../../src/db/api-keys.ts';
import type { Database } from '../../src/db/database.ts';

/** Headers that authenticate as a new API key with `role`. */
export async function apiKeyHeaders(
  database: Database,
  role: Role,
  name = `test ${role}`,
): Promise<{ authorization: string }> {
  const { key, hash, prefix } = newApiKey();
  await new ApiKeyRepository(database.db).create({ name, role, keyHash: hash, prefix, createdBy: null });
  return { authorization: `Bearer ${key}` };
}
