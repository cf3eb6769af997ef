/**
 * A migrated database for tests: a fresh schema on the PostgreSQL at
 * `DATABASE_URL` when it is set (dropped on close), otherwise an in-memory PGlite.
 */
import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import { type Database, openDatabase } from '../../src/db/database.ts';

/**
 * Opens an isolated, migrated test database. PGlite takes 3–4 s to start, so
 * open one per test file (in `beforeAll`) and close it in `afterAll`.
 */
export async function openTestDatabase(): Promise<Database> {
  const url = process.env.DATABASE_URL;
  if (!url) return await openDatabase({ dataDir: 'memory' });

  const schema = `t_${randomBytes(6).toString('hex')}`;
  const database = await openDatabase({ url, schema });
  let closing: Promise<void> | undefined;
  const dropAndClose = async () => {
    try {
      await sql`drop schema if exists ${sql.id(schema)} cascade`.execute(database.db);
    } finally {
      await database.close();
    }
  };
  return {
    ...database,
    close() {
      closing ??= dropAndClose();
      return closing;
    },
  };
}
