/**
 * Throwaway directories and database for a fault test's child servers: a PostgreSQL schema
 * when `DATABASE_URL` is set (reachable through `databasePort`, e.g. a proxy), else PGlite in
 * the data dir. `open()` gives the test its own connection to the same database (for PGlite,
 * only while no child holds it).
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import { type Database, openDatabase } from '../../src/db/database.ts';

export interface FaultEnv {
  readonly dataDir: string;
  readonly recordingsDir: string;
  /** The child's environment for this database and these directories. */
  childEnv(databasePort?: number): Record<string, string>;
  open(): Promise<Database>;
  cleanUp(): Promise<void>;
}

export async function faultEnv(): Promise<FaultEnv> {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'parley-fault-data-'));
  const recordingsDir = await mkdtemp(path.join(tmpdir(), 'parley-fault-rec-'));
  const url = process.env.DATABASE_URL;
  const schema = `t_${randomBytes(6).toString('hex')}`;
  const open = () => openDatabase(url ? { url, schema } : { dataDir: path.join(dataDir, 'pg') });
  return {
    dataDir,
    recordingsDir,
    childEnv(databasePort) {
      const env: Record<string, string> = { DATA_DIR: dataDir, RECORDINGS_DIR: recordingsDir };
      if (url) {
        const target = new URL(url);
        if (databasePort !== undefined) target.port = String(databasePort);
        env.DATABASE_URL = target.toString();
        env.TEST_DB_SCHEMA = schema;
      } else env.DATABASE_URL = '';
      return env;
    },
    open,
    async cleanUp() {
      if (url) {
        const db = await open();
        await sql`drop schema if exists ${sql.id(schema)} cascade`.execute(db.db);
        await db.close();
      }
      await rm(dataDir, { recursive: true, force: true });
      await rm(recordingsDir, { recursive: true, force: true });
    },
  };
}
