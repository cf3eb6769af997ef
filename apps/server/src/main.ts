import path from 'node:path';
import { checkLocalEngines } from '@parley/services';
import pino from 'pino';
import { buildApp } from './app.ts';
import { defaultServiceFactory } from './calls/services.ts';
import { loadServerConfig } from './config/server-config.ts';
import { openCredentialStore } from './credentials/open.ts';
import { AgentRepository } from './db/agents.ts';
import { openDatabase } from './db/database.ts';
import { LOG_REDACT } from './security/log-redaction.ts';
import { createSessionStore } from './sessions/index.ts';

/** Starts Parley: database (PGlite by default), demo agent, session store, HTTP + WebSocket server. */
async function main(): Promise<void> {
  const config = loadServerConfig();
  const database = await openDatabase(
    config.databaseUrl ? { url: config.databaseUrl } : { dataDir: path.join(config.dataDir, 'pg') },
  );
  if (await new AgentRepository(database.db).seedDemo()) console.log('Seeded the demo agent "demo".');
  const engines = await checkLocalEngines();
  const logger = pino({ level: config.logLevel, redact: LOG_REDACT });
  const credentials = await openCredentialStore(database.db, config, logger);
  const sessions = createSessionStore(config.redisUrl, { logger });
  const { app, shutdown } = await buildApp({
    config,
    logger,
    database,
    sessions,
    credentials,
    services: defaultServiceFactory(config, engines, credentials),
  });
  if (!engines.stt.ok) app.log.warn(`local speech recognition unavailable: ${engines.stt.reason}`);
  if (!engines.tts.ok) app.log.warn(`local speech synthesis unavailable: ${engines.tts.reason}`);
  if (!config.openaiApiKey && !config.openaiBaseUrl) {
    app.log.warn('OPENAI_API_KEY is not set: agents without their own key will say so on calls');
  }

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    app.log.info(`${signal}: ending live calls and stopping`);
    await shutdown();
    await sessions.close();
    await database.close();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));

  await app.listen({ port: config.port, host: config.host });
  app.log.info(
    `Parley is listening. Twilio voice webhook: POST /telephony/twilio/inbound/demo; try a call with: npm run call -- test-fixtures/speech/8k/goforward.wav`,
  );
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
