import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type AppOptions, buildApp, type ParleyApp } from '../../src/app.ts';
import type { ServiceFactory } from '../../src/calls/services.ts';
import { loadServerConfig, type ServerConfig } from '../../src/config/server-config.ts';
import { openCredentialStore } from '../../src/credentials/open.ts';
import type { CredentialStore } from '../../src/credentials/store.ts';
import type { Database } from '../../src/db/database.ts';
import { createSessionStore } from '../../src/sessions/index.ts';
import { apiKeyHeaders } from './auth.ts';
import { openTestDatabase } from './db.ts';

/** A running Parley server on 127.0.0.1 for a test file. */
export interface TestServer {
  readonly parley: ParleyApp;
  readonly database: Database;
  readonly config: ServerConfig;
  /** `http://127.0.0.1:PORT` */
  readonly url: string;
  /** `ws://127.0.0.1:PORT` */
  readonly wsUrl: string;
  /** Headers of an admin API key, for calls to `/api/*`. */
  readonly adminHeaders: { readonly authorization: string };
  close(): Promise<void>;
}

/**
 * Start a server on a random loopback port (or on `env.PORT` when given, so that a test can set
 * `PUBLIC_URL` to the server's own origin) with a throwaway database (PostgreSQL at
 * `DATABASE_URL` or PGlite), session store (Redis at `REDIS_URL` or memory), data dir (where the
 * credentials' key is generated) and recordings dir, and an admin API key for the `/api/*` routes
 * ({@link TestServer.adminHeaders}).
 */
export async function startTestServer(
  services: (config: ServerConfig, credentials: CredentialStore) => ServiceFactory,
  env: Record<string, string> = {},
  options: Pick<AppOptions, 'authClock' | 'logger'> = {},
): Promise<TestServer> {
  const recordingsDir = await mkdtemp(path.join(tmpdir(), 'parley-rec-'));
  const dataDir = await mkdtemp(path.join(tmpdir(), 'parley-data-'));
  const config = loadServerConfig({
    RECORDINGS_DIR: recordingsDir,
    DATA_DIR: dataDir,
    // Many tests provoke refusals, each logged as a warning: keep their output to real errors.
    LOG_LEVEL: 'error',
    ...env,
  });
  const database = await openTestDatabase();
  const sessions = createSessionStore(process.env.REDIS_URL, {
    keyPrefix: `parley-test-${randomUUID()}:`,
    // A loaded CI machine can stall a test process past the 1 s default: a timeout then is noise.
    commandTimeoutMs: 5000,
  });
  const credentials = await openCredentialStore(database.db, config);
  const parley = await buildApp({
    config,
    database,
    sessions,
    credentials,
    services: services(config, credentials),
    ...options,
  });
  await parley.agents.seedDemo();
  const adminHeaders = await apiKeyHeaders(database, 'admin');
  await parley.app.listen({ port: env.PORT === undefined ? 0 : config.port, host: '127.0.0.1' });
  const address = parley.app.server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    parley,
    database,
    config,
    url: `http://127.0.0.1:${port}`,
    wsUrl: `ws://127.0.0.1:${port}`,
    adminHeaders,
    close: async () => {
      await parley.shutdown();
      await sessions.close();
      await database.close();
      await rm(recordingsDir, { recursive: true, force: true });
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
