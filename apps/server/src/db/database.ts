import { existsSync } from 'node:fs';
/**
 * Opens Parley's database: PostgreSQL when a URL is configured, otherwise an
 * embedded PGlite (PostgreSQL compiled to WASM) persisted on disk, and brings
 * its schema up to date.
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { type Dialect, Kysely, Migrator, PostgresDialect, sql } from 'kysely';
import { PGliteDialect } from 'kysely-pglite-dialect';
import pg from 'pg';
import { DatabaseConfigError } from './errors.ts';
import { migrationProvider } from './migrations/index.ts';
import type { DB } from './schema.ts';

/** The subset of a pino logger (e.g. Fastify's `app.log`) that the data layer uses. */
export interface DatabaseLogger {
  info(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

/** Options for {@link openDatabase}. */
export interface OpenDatabaseOptions {
  /** PostgreSQL connection URL (`postgresql://user:pass@host:5432/db`). When set, PGlite is not used. */
  url?: string;
  /**
   * PGlite data directory, used when `url` is not set. Relative paths resolve
   * against the current working directory; missing parent directories are
   * created. `'memory'` keeps the database in memory (lost on close).
   * @defaultValue `'.data/pg'`
   */
  dataDir?: string;
  /**
   * PostgreSQL schema to put every table in (including Kysely's migration
   * tables), created if missing. Meant for isolating tests on a shared server.
   * Must be a plain lower-case identifier (`[a-z_][a-z0-9_]*`, at most 63 characters).
   * @defaultValue the connection's default search path (normally `public`)
   */
  schema?: string;
  /** Receives one line per opened database and per applied migration, and pool errors. */
  logger?: DatabaseLogger;
}

/** An open, migrated database. */
export interface Database {
  /** Typed query builder; see `schema.ts` for the tables. */
  db: Kysely<DB>;
  /** Which engine is behind `db`. */
  dialect: 'postgres' | 'pglite';
  /** Closes the pool or the PGlite instance. Safe to call more than once. */
  close(): Promise<void>;
}

/** The default PGlite data directory, relative to the working directory. */
export const DEFAULT_DATA_DIR = '.data/pg';

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/**
 * Opens the database described by `options` and migrates it to the latest schema.
 *
 * PGlite notes: a fresh data directory takes about 4 s to initialise (an
 * existing one about 0.5 s), and only one process may open a data directory at
 * a time. PGlite serves one query at a time, so transactions are serialised.
 *
 * @throws {@link DatabaseConfigError} if `schema` is not a plain identifier.
 * @throws the driver's error if the database cannot be reached, or the
 *   Migrator's error if a migration fails (the connection is closed first).
 */
export async function openDatabase(options: OpenDatabaseOptions = {}): Promise<Database> {
  const { schema, logger } = options;
  if (schema !== undefined && !SCHEMA_NAME.test(schema)) {
    throw new DatabaseConfigError(
      `Invalid schema name ${JSON.stringify(schema)}: use lower-case letters, digits and _ (at most 63 characters)`,
    );
  }

  const opened = options.url ? openPostgres(options.url, schema, logger) : await openPglite(options.dataDir);
  const db = new Kysely<DB>({ dialect: opened.dialect });

  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= db.destroy();
    return closing;
  };

  try {
    if (schema !== undefined) {
      await sql`create schema if not exists ${sql.id(schema)}`.execute(db);
      if (opened.kind === 'pglite') {
        // PGlite has a single session, so a session setting applies to every query.
        await sql`set search_path to ${sql.id(schema)}`.execute(db);
      }
    }
    await migrate(db, schema, logger);
  } catch (error) {
    await close();
    throw error;
  }

  logger?.info({ dialect: opened.kind, dataDir: opened.dataDir, schema }, 'database opened');
  return { db, dialect: opened.kind, close };
}

interface OpenedDialect {
  kind: Database['dialect'];
  dialect: Dialect;
  /** The PGlite data directory (absolute, or `memory://`); undefined for PostgreSQL. */
  dataDir?: string;
}

function openPostgres(
  url: string,
  schema: string | undefined,
  logger: DatabaseLogger | undefined,
): OpenedDialect {
  // Per-pool type parsers, so that other pg users in the process are unaffected.
  const types = new pg.TypeOverrides();
  // int8 (count(*), bigint ids) as number, as PGlite does. Exact up to 2^53.
  types.setTypeParser(pg.types.builtins.INT8, (value: string) => Number(value));
  const pool = new pg.Pool({
    connectionString: url,
    types,
    // Applied by the server at connection start, so every pooled connection uses the schema.
    ...(schema === undefined ? {} : { options: `-c search_path=${schema}` }),
  });
  // An idle client losing its connection emits 'error' on the pool; unhandled, it would crash the process.
  pool.on('error', (error) => logger?.error({ err: error }, 'idle PostgreSQL connection failed'));
  return { kind: 'postgres', dialect: new PostgresDialect({ pool }) };
}

async function openPglite(dataDirOption: string | undefined): Promise<OpenedDialect> {
  let dataDir: string;
  if (dataDirOption === 'memory' || dataDirOption === 'memory://') {
    dataDir = 'memory://';
  } else {
    dataDir = path.resolve(dataDirOption ?? DEFAULT_DATA_DIR);
    await mkdir(path.dirname(dataDir), { recursive: true });
    if (!existsSync(path.join(dataDir, 'PG_VERSION'))) {
      // A new cluster reaches the disk only when PGlite closes: a crash before then (kill -9)
      // would lose everything written since. Create it and close it once, so it is on disk.
      await (await PGlite.create(dataDir)).close();
    }
  }
  const pglite = await PGlite.create(dataDir);
  const dialect = new PGliteDialect(pglite);
  return { kind: 'pglite', dialect, dataDir };
}

async function migrate(db: Kysely<DB>, schema: string | undefined, logger: DatabaseLogger | undefined) {
  const migrator = new Migrator({
    db,
    provider: migrationProvider,
    // Migrations written on parallel branches can land out of name order (0008 before 0006);
    // each is independent of the others, so a database that ran a later one still takes it.
    allowUnorderedMigrations: true,
    ...(schema === undefined ? {} : { migrationTableSchema: schema }),
  });
  let outcome = await migrator.migrateToLatest();
  // Kysely looks for its migration table in every schema: another process dropping its own
  // schema at that moment (e.g. parallel test files) fails the look-up, not the migration.
  for (let retry = 0; retry < 3 && isSchemaGone(outcome.error); retry++) {
    outcome = await migrator.migrateToLatest();
  }
  const { error, results } = outcome;
  for (const result of results ?? []) {
    if (result.status === 'Success') {
      logger?.info({ migration: result.migrationName }, 'migration applied');
    } else if (result.status === 'Error') {
      logger?.error({ migration: result.migrationName }, 'migration failed');
    }
  }
  if (error !== undefined) throw error;
}

/** PostgreSQL's `invalid_schema_name` (3F000), as a concurrently dropped schema raises it. */
function isSchemaGone(error: unknown): boolean {
  return error instanceof Error && (error as { code?: unknown }).code === '3F000';
}
