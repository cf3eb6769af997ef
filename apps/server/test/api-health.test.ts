import Fastify, { type FastifyInstance } from 'fastify';
import {
  type DatabaseConnection,
  type Driver,
  DummyDriver,
  Kysely,
  PostgresAdapter,
  PostgresIntrospector,
  PostgresQueryCompiler,
} from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../src/db/database.ts';
import type { DB } from '../src/db/schema.ts';
import { installErrorHandling } from '../src/routes/errors.ts';
import { type HealthBody, healthRoutes } from '../src/routes/health.ts';
import { openTestDatabase } from './helpers/db.ts';

/** A driver whose queries never answer (`'hang'`) or fail at once (`'fail'`). */
class BrokenDriver extends DummyDriver implements Driver {
  constructor(private readonly mode: 'hang' | 'fail') {
    super();
  }

  override async acquireConnection(): Promise<DatabaseConnection> {
    const mode = this.mode;
    return {
      executeQuery: () =>
        mode === 'hang'
          ? new Promise(() => {})
          : Promise.reject(new Error('connection refused (secret host)')),
      // biome-ignore lint/correctness/useYield: never streams
      async *streamQuery() {
        throw new Error('not supported');
      },
    };
  }
}

function brokenDatabase(mode: 'hang' | 'fail'): Database {
  const db = new Kysely<DB>({
    dialect: {
      createAdapter: () => new PostgresAdapter(),
      createDriver: () => new BrokenDriver(mode),
      createIntrospector: (k) => new PostgresIntrospector(k),
      createQueryCompiler: () => new PostgresQueryCompiler(),
    },
  });
  return { db, dialect: 'postgres', close: () => db.destroy() };
}

async function healthApp(
  database: Database,
  activeCalls: () => number | Promise<number>,
  timeoutMs?: number,
) {
  const app = Fastify({ logger: false });
  installErrorHandling(app);
  await app.register(
    healthRoutes({
      database,
      activeCalls,
      ...(timeoutMs === undefined ? {} : { databaseTimeoutMs: timeoutMs }),
    }),
  );
  return app;
}

let database: Database;
let app: FastifyInstance;

beforeAll(async () => {
  database = await openTestDatabase();
  let active = 0;
  app = await healthApp(database, () => active++);
});

afterAll(async () => {
  await app?.close();
  await database?.close();
});

describe('GET /health', () => {
  it('answers ok with the uptime, the database engine and the live call count', async () => {
    const response = await app.inject({ url: '/health' });
    expect(response.statusCode).toBe(200);
    expect(response.headers['cache-control']).toBe('no-store');
    const body = response.json<HealthBody>();
    expect(body).toEqual({
      status: 'ok',
      uptimeSecs: expect.any(Number),
      database: process.env.DATABASE_URL ? 'postgres' : 'pglite',
      activeCalls: 0,
    });
    expect(Number.isInteger(body.uptimeSecs)).toBe(true);
    expect((await app.inject({ url: '/health' })).json<HealthBody>().activeCalls).toBe(1);
  });

  it('accepts an asynchronous live call count', async () => {
    const asyncApp = await healthApp(database, async () => 7);
    try {
      expect((await asyncApp.inject({ url: '/health' })).json<HealthBody>().activeCalls).toBe(7);
    } finally {
      await asyncApp.close();
    }
  });

  it('answers 503 when the database does not answer select 1 in time', async () => {
    const hanging = brokenDatabase('hang');
    const hangingApp = await healthApp(hanging, () => 2, 150);
    try {
      const started = Date.now();
      const response = await hangingApp.inject({ url: '/health' });
      expect(Date.now() - started).toBeLessThan(1_000);
      expect(response.statusCode).toBe(503);
      expect(response.json<HealthBody>()).toMatchObject({
        status: 'unavailable',
        database: 'postgres',
        activeCalls: 2,
        reason: 'the database did not answer within 150 ms',
      });
    } finally {
      await hangingApp.close();
    }
  });

  it('gives up on the database after 1 s by default', async () => {
    const hangingApp = await healthApp(brokenDatabase('hang'), () => 0);
    try {
      const started = Date.now();
      const response = await hangingApp.inject({ url: '/health' });
      const elapsedMs = Date.now() - started;
      expect(response.statusCode).toBe(503);
      expect(elapsedMs).toBeGreaterThanOrEqual(950);
      expect(elapsedMs).toBeLessThan(2_000);
    } finally {
      await hangingApp.close();
    }
  });

  it('answers 503 without the driver error when the database query fails', async () => {
    const failingApp = await healthApp(brokenDatabase('fail'), () => 0);
    try {
      const response = await failingApp.inject({ url: '/health' });
      expect(response.statusCode).toBe(503);
      expect(response.json<HealthBody>()).toMatchObject({
        status: 'unavailable',
        reason: 'the database query failed',
      });
      expect(response.body).not.toContain('secret host');
    } finally {
      await failingApp.close();
    }
  });
});
