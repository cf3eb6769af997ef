import { randomUUID } from 'node:crypto';
import path from 'node:path';
import formbody from '@fastify/formbody';
import websocket from '@fastify/websocket';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { CallSession } from './calls/call-session.ts';
import type { ServiceFactory } from './calls/services.ts';
import type { ServerConfig } from './config/server-config.ts';
import { AgentRepository } from './db/agents.ts';
import { CallEventRepository } from './db/call-events.ts';
import { CallRepository } from './db/calls.ts';
import type { Database } from './db/database.ts';
import { ServerRegistry } from './db/servers.ts';
import { TelephonySettingsRepository } from './db/telephony-settings.ts';
import { applyWithRepositories } from './durability/apply-entry.ts';
import { CallRecovery } from './durability/call-recovery.ts';
import { Maintenance } from './durability/maintenance.ts';
import { RecordingRetention } from './durability/recording-retention.ts';
import { WriteJournal } from './durability/write-journal.ts';
import { RecordingStore } from './recordings/store.ts';
import { apiAgentsRoutes } from './routes/api-agents.ts';
import { apiCallsRoutes } from './routes/api-calls.ts';
import { apiOutboundRoutes } from './routes/api-outbound.ts';
import { apiTelephonySettingsRoutes } from './routes/api-telephony-settings.ts';
import { dashboardRoutes } from './routes/dashboard.ts';
import { installErrorHandling } from './routes/errors.ts';
import { exotelRoutes } from './routes/exotel.ts';
import { healthRoutes } from './routes/health.ts';
import { twilioRoutes } from './routes/twilio.ts';
import { vobizRoutes } from './routes/vobiz.ts';
import type { SessionStore } from './sessions/session-store.ts';
import { CallAdmission } from './telephony/admission.ts';
import { providerHangUp } from './telephony/call-controls.ts';

/** What {@link buildApp} assembles the server from. */
export interface AppOptions {
  readonly config: ServerConfig;
  readonly database: Database;
  readonly sessions: SessionStore;
  readonly services: ServiceFactory;
  /** pino logger options or an existing logger; default: pino at `config.logLevel`. */
  readonly logger?: FastifyBaseLogger;
}

/** The assembled server and the handles its owner needs. */
export interface ParleyApp {
  readonly app: FastifyInstance;
  /** Live calls by id. */
  readonly active: Map<string, CallSession>;
  readonly agents: AgentRepository;
  readonly calls: CallRepository;
  readonly events: CallEventRepository;
  readonly settings: TelephonySettingsRepository;
  /** Durable writes of call events and ends (journaled under `DATA_DIR` while the database is down). */
  readonly journal: WriteJournal;
  /** Heartbeat, lost-call sweeps and recording retention. */
  readonly maintenance: Maintenance;
  /**
   * Stop accepting calls, end the live ones (their records, events and recordings are
   * stored) and close the server. Does not close the database or the session store.
   */
  shutdown(): Promise<void>;
}

/** Build the Fastify server: REST API, Twilio, Exotel and Vobiz webhooks and media streams, health, dashboard. */
export async function buildApp(options: AppOptions): Promise<ParleyApp> {
  const { config, database, sessions, services } = options;
  const app = Fastify({
    ...(options.logger ? { loggerInstance: options.logger } : { logger: { level: config.logLevel } }),
    trustProxy: true,
    bodyLimit: 1024 * 1024,
  });
  const serverId = randomUUID();
  const agents = new AgentRepository(database.db);
  const calls = new CallRepository(database.db, serverId);
  const events = new CallEventRepository(database.db);
  const journal = new WriteJournal(
    path.join(config.dataDir, 'journal', 'call-writes.jsonl'),
    applyWithRepositories(calls, events),
    app.log,
  );
  await journal.open();
  const servers = new ServerRegistry(database.db);
  const recordings = new RecordingStore(config.recordingsDir);
  const settings = new TelephonySettingsRepository(database.db);
  const active = new Map<string, CallSession>();
  const admission = new CallAdmission(() => active.size, {
    // A call the provider never streamed (it failed to connect, or the caller hung up first)
    // must not stay `ringing`; a status callback may have ended it already.
    onAbandoned: (callId) => {
      calls
        .finish(callId, { status: 'failed', endReason: 'no_stream' })
        .catch((err: unknown) => app.log.error({ err, callId }, 'could not end an abandoned call'));
    },
  });
  const streamDeps = {
    agents,
    calls,
    events,
    settings,
    admission,
    sessions,
    services,
    recordings,
    logger: app.log,
    serverId,
    journal,
    active,
    config,
    hangUpCall: providerHangUp(settings, app.log),
  };

  installErrorHandling(app);
  await app.register(formbody);
  await app.register(websocket, { options: { maxPayload: 256 * 1024 } });
  await app.register(healthRoutes({ database, activeCalls: () => active.size }));
  await app.register(apiCallsRoutes({ calls, events, recordings }));
  await app.register(apiOutboundRoutes({ agents, calls, settings, admission, config }));
  await app.register(apiAgentsRoutes({ agents }));
  await app.register(apiTelephonySettingsRoutes({ settings }));
  await app.register(twilioRoutes(streamDeps));
  await app.register(vobizRoutes(streamDeps));
  await app.register(exotelRoutes(streamDeps));
  await app.register(dashboardRoutes());

  const maintenance = new Maintenance({
    recovery: new CallRecovery({
      db: database.db,
      calls,
      events,
      servers,
      recordings,
      serverId,
      embedded: database.dialect === 'pglite',
      logger: app.log,
      staleSecs: config.serverStaleSecs,
    }),
    servers,
    serverId,
    isLive: (callId) => active.has(callId),
    staleSecs: config.serverStaleSecs,
    ...(config.recordingRetentionDays
      ? {
          retention: new RecordingRetention(database.db, recordings, config.recordingRetentionDays, app.log),
        }
      : {}),
    logger: app.log,
  });
  await maintenance.start();

  const shutdown = async () => {
    const running = [...active.values()];
    for (const session of running) session.cancel('server_shutdown');
    await Promise.allSettled(running.map((s) => s.run()));
    admission.clear();
    await app.close();
    await journal.close(); // what the database did not take yet is replayed at the next start
    await maintenance.stop();
  };
  return { app, active, agents, calls, events, settings, journal, maintenance, shutdown };
}
