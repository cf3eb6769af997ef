import path from 'node:path';
import { tuneGcForRealTime } from '@parley/pipeline';
import { preloadVendorSdks } from '@parley/services';
import pino from 'pino';
import { buildApp } from './app.ts';
import { ensureFirstAdmin } from './auth/first-admin.ts';
import { localEngineChecker } from './calls/engines.ts';
import { defaultServiceFactory } from './calls/services.ts';
import { loadServerConfig } from './config/server-config.ts';
import { openCredentialStore } from './credentials/open.ts';
import { AgentRepository } from './db/agents.ts';
import { AuditLogRepository } from './db/audit-log.ts';
import { openDatabase } from './db/database.ts';
import { UserRepository } from './db/users.ts';
import { loggerOptions } from './logging.ts';
import { createSessionStore } from './sessions/index.ts';

/** Starts Parley: database (PGlite by default), demo agent, session store, HTTP + WebSocket server. */
async function main(): Promise<void> {
  tuneGcForRealTime(); // rarer major GCs: each one stalls every live call's audio
  const config = loadServerConfig();
  const database = await openDatabase(
    config.databaseUrl ? { url: config.databaseUrl } : { dataDir: path.join(config.dataDir, 'pg') },
  );
  if (await new AgentRepository(database.db).seedDemo()) console.log('Seeded the demo agent "demo".');
  await ensureFirstAdmin({
    users: new UserRepository(database.db),
    audit: new AuditLogRepository(database.db),
    dataDir: config.dataDir,
    password: config.adminPassword,
    print: (line) => console.log(line),
  });
  const engines = localEngineChecker();
  const status = await engines(); // also warms Flite; calls check again when they start
  const logger = pino(loggerOptions(config.logLevel));
  const credentials = await openCredentialStore(database.db, config, logger);
  const sessions = createSessionStore(config.redisUrl, { logger });
  const { app, drain } = await buildApp({
    config,
    logger,
    database,
    sessions,
    credentials,
    services: defaultServiceFactory(config, engines, credentials),
  });
  if (!status.stt.ok)
    app.log.warn(
      `local speech recognition unavailable: ${status.stt.reason} (calls check again when they start: no restart needed)`,
    );
  if (!status.tts.ok) app.log.warn(`local speech synthesis unavailable: ${status.tts.reason}`);
  if (!config.openaiApiKey && !config.openaiBaseUrl) {
    app.log.warn('OPENAI_API_KEY is not set: agents without their own key will say so on calls');
  }

  let stopping = false;
  const stop = async (signal: string, graceMs: number) => {
    if (stopping) return;
    stopping = true;
    app.log.info(`${signal}: finishing live calls (up to ${graceMs / 1000} s), then stopping`);
    await drain(graceMs);
    await sessions.close();
    await database.close();
    process.exit(0);
  };
  // SIGTERM (orchestrators, systemd) drains; Ctrl-C in a terminal does not wait.
  process.on('SIGTERM', () => void stop('SIGTERM', config.shutdownGraceSecs * 1000));
  process.on('SIGINT', () => void stop('SIGINT', 0));

  await app.listen({ port: config.port, host: config.host });
  // Vendor SDKs load on first use; load them now so that no caller waits for an import
  // (seconds of CPU on a busy machine) at the first call of a vendor.
  preloadVendorSdks().catch((e: unknown) => app.log.warn({ err: e }, 'loading the vendor SDKs failed'));
  app.log.info(
    `Parley is listening. Twilio voice webhook: POST /telephony/twilio/inbound/demo; try a call with: npm run call -- test-fixtures/speech/8k/goforward.wav`,
  );
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
