import { randomUUID } from 'node:crypto';
import path from 'node:path';
import formbody from '@fastify/formbody';
import websocket from '@fastify/websocket';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { AuthGuard } from './auth/guard.ts';
import { installAuth } from './auth/install.ts';
import type { CallSession } from './calls/call-session.ts';
import type { ServiceFactory } from './calls/services.ts';
import { createCallToolsLoader } from './calls/tools/call-tools.ts';
import type { ServerConfig } from './config/server-config.ts';
import { moveInlineSecrets } from './credentials/inline-secrets.ts';
import { openCredentialStore } from './credentials/open.ts';
import type { CredentialStore } from './credentials/store.ts';
import { AgentRepository } from './db/agents.ts';
import { CallEventRepository } from './db/call-events.ts';
import { CallRepository } from './db/calls.ts';
import type { Database } from './db/database.ts';
import { FlowVersionRepository } from './db/flow-versions.ts';
import { ServerRegistry } from './db/servers.ts';
import { TelephonySettingsRepository } from './db/telephony-settings.ts';
import { ToolRepository } from './db/tools.ts';
import { applyBatchedWithRepositories } from './durability/apply-entry.ts';
import { CallRecovery } from './durability/call-recovery.ts';
import { Maintenance } from './durability/maintenance.ts';
import { PostCallJournal } from './durability/post-call-journal.ts';
import { RecordingRetention } from './durability/recording-retention.ts';
import { WriteJournal } from './durability/write-journal.ts';
import { knownToolIds } from './flows/known-tools.ts';
import { mcpCatalog } from './flows/mcp-catalog.ts';
import { serverLLM } from './generate/server-llm.ts';
import { installJsonBodyParser } from './limits/json-body.ts';
import { PendingStreamGuard } from './limits/pending-streams.ts';
import { installRateLimits } from './limits/rate-limits.ts';
import { RefusalCounters } from './limits/refusals.ts';
import { MAX_WEBSOCKET_PAYLOAD_BYTES } from './limits/stream-messages.ts';
import { limitWebhookBodies } from './limits/webhook-bodies.ts';
import { onWebSocketError } from './limits/websocket-errors.ts';
import { LiveEventBus } from './live/live-bus.ts';
import { loggerOptions } from './logging.ts';
import { rerunPostCall } from './post-call/rerun.ts';
import { RecordingStore } from './recordings/store.ts';
import { apiAgentDeleteRoutes } from './routes/api-agent-delete.ts';
import { apiAgentGenerateRoutes } from './routes/api-agent-generate.ts';
import { apiAgentsRoutes } from './routes/api-agents.ts';
import { apiCallsRoutes } from './routes/api-calls.ts';
import { apiCredentialsRoutes } from './routes/api-credentials.ts';
import { apiFlowsRoutes } from './routes/api-flows.ts';
import { apiLiveRoutes } from './routes/api-live.ts';
import { apiOutboundRoutes } from './routes/api-outbound.ts';
import { apiServiceCheckRoutes } from './routes/api-service-check.ts';
import { apiTelephonySettingsRoutes } from './routes/api-telephony-settings.ts';
import { apiToolsRoutes } from './routes/api-tools.ts';
import { apiVendorsRoutes } from './routes/api-vendors.ts';
import { browserRoutes } from './routes/browser.ts';
import { dashboardRoutes } from './routes/dashboard.ts';
import { installErrorHandling } from './routes/errors.ts';
import { exotelRoutes } from './routes/exotel.ts';
import { healthRoutes } from './routes/health.ts';
import { twilioRoutes } from './routes/twilio.ts';
import { vobizRoutes } from './routes/vobiz.ts';
import { createEgressFetch } from './security/egress.ts';
import { serverEgressPolicy } from './security/server-egress.ts';
import type { SessionStore } from './sessions/session-store.ts';
import { CallAdmission } from './telephony/admission.ts';
import { providerHangUp } from './telephony/call-controls.ts';
import { providerTransfer } from './telephony/transfer.ts';

/** What {@link buildApp} assembles the server from. */
export interface AppOptions {
  readonly config: ServerConfig;
  readonly database: Database;
  readonly sessions: SessionStore;
  readonly services: ServiceFactory;
  /** An existing logger; default: pino at `config.logLevel` (pretty on a terminal, see `loggerOptions`). */
  readonly logger?: FastifyBaseLogger;
  /** The clock of sign-in sessions and API key use (tests move it); default: the system clock. */
  readonly authClock?: () => Date;
  /** The credential store (the one the service factory reads); default: opened from `config`. */
  readonly credentials?: CredentialStore;
}

/** The assembled server and the handles its owner needs. */
export interface ParleyApp {
  readonly app: FastifyInstance;
  /** Live calls by id. */
  readonly active: Map<string, CallSession>;
  /** Live calls' events as they happen (`GET /api/live`). */
  readonly live: LiveEventBus;
  readonly agents: AgentRepository;
  readonly calls: CallRepository;
  readonly events: CallEventRepository;
  readonly settings: TelephonySettingsRepository;
  /** Agents' flow versions. */
  readonly flows: FlowVersionRepository;
  /** Webhook tools (`/api/tools`). */
  readonly tools: ToolRepository;
  /** Durable writes of call events and ends (journaled under `DATA_DIR` while the database is down). */
  readonly journal: WriteJournal;
  /** Refused webhooks, streams and requests since start-up (also in `/health`). */
  readonly refusals: RefusalCounters;
  /** The `/api/*` guard: lists the API routes and the role each requires. */
  readonly auth: AuthGuard;
  readonly credentials: CredentialStore;
  /** Heartbeat, lost-call sweeps and recording retention. */
  readonly maintenance: Maintenance;
  /**
   * Stop accepting calls, end the live ones (their records, events and recordings are
   * stored) and close the server. Does not close the database or the session store.
   */
  shutdown(): Promise<void>;
  /**
   * Stop gracefully (SIGTERM): admit no new call (health answers 503 `draining`), let live
   * calls go on for up to `graceMs`, then say {@link SHUTDOWN_GOODBYE} on those left and end
   * them (at most 15 s more), then {@link shutdown}.
   */
  drain(graceMs: number): Promise<void>;
}

/** What callers still on the line hear when the server stops. */
export const SHUTDOWN_GOODBYE = 'Sorry, we have to end this call now. Please call again. Goodbye.';
/** How long the goodbye may take to play before the calls are cut. */
const GOODBYE_MS = 15_000;
/** How long a stop waits for post-call work under way. */
const POST_CALL_GRACE_MS = 20_000;

/** Resolves when every session has ended, or after `ms`. */
async function allEnded(sessions: readonly CallSession[], ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, ms);
  });
  await Promise.race([Promise.allSettled(sessions.map((s) => s.run())), timeout]);
  clearTimeout(timer);
}

/** Build the Fastify server: REST API, Twilio, Exotel and Vobiz webhooks and media streams, health, dashboard. */
export async function buildApp(options: AppOptions): Promise<ParleyApp> {
  const { config, database, sessions, services } = options;
  const app = Fastify({
    ...(options.logger ? { loggerInstance: options.logger } : { logger: loggerOptions(config.logLevel) }),
    // Forwarded headers are believed only from the configured proxies (TRUST_PROXY).
    trustProxy: config.trustProxy.length > 0 ? [...config.trustProxy] : false,
    bodyLimit: 1024 * 1024,
  });
  const serverId = randomUUID();
  const refusals = new RefusalCounters();
  const agents = new AgentRepository(database.db);
  const calls = new CallRepository(database.db, serverId);
  const events = new CallEventRepository(database.db);
  const flows = new FlowVersionRepository(database.db);
  const journal = new WriteJournal(
    path.join(config.dataDir, 'journal', 'call-writes.jsonl'),
    applyBatchedWithRepositories(calls, events),
    app.log,
  );
  await journal.open();
  const postCallJournal = new PostCallJournal(
    path.join(config.dataDir, 'journal', 'post-call.jsonl'),
    app.log,
  );
  const postCallDue = await postCallJournal.open();
  const servers = new ServerRegistry(database.db);
  const recordings = new RecordingStore(config.recordingsDir);
  const credentials = options.credentials ?? (await openCredentialStore(database.db, config, app.log));
  await moveInlineSecrets(database.db, credentials, config.openaiBaseUrl, app.log);
  const settings = new TelephonySettingsRepository(database.db, credentials);
  const tools = new ToolRepository(database.db);
  // Requests to URLs administrators set (tools, pre-call lookups, end-of-call webhooks) obey EGRESS_ALLOW.
  const egress = serverEgressPolicy(config);
  const egressFetch = createEgressFetch(egress);
  const active = new Map<string, CallSession>();
  const live = new LiveEventBus((err) => app.log.error({ err }, 'live monitor listener failed'));
  const admission = new CallAdmission(() => active.size, {
    streamWaitMs: config.limits.streamWaitMs,
    defaultLimit: config.limits.maxConcurrentCalls,
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
    flows,
    preCall: { fetch: egressFetch, credentials },
    postCall: {
      fetch: egressFetch,
      credentials,
      storeAnalysis: (callId: string, analysis: object) => calls.setAnalysis(callId, { ...analysis }),
    },
    postCallJournal,
    admission,
    sessions,
    services,
    recordings,
    logger: app.log,
    serverId,
    journal,
    prices: config.prices,
    active,
    live,
    config,
    hangUpCall: providerHangUp(settings, app.log),
    transferCall: providerTransfer(settings, config, app.log),
    refusals,
    streamStartTimeoutMs: config.limits.streamStartTimeoutMs,
    pendingStreams: new PendingStreamGuard(config.limits.maxPendingStreamsPerIp, refusals),
    tools: createCallToolsLoader({ tools, credentials, fetch: egressFetch }),
  };

  installErrorHandling(app);
  installJsonBodyParser(app);
  limitWebhookBodies(app);
  await installRateLimits(app, config.limits, refusals);
  const auth = await installAuth(app, {
    db: database.db,
    config,
    ...(options.authClock ? { now: options.authClock } : {}),
  });
  await app.register(formbody);
  await app.register(websocket, {
    options: { maxPayload: MAX_WEBSOCKET_PAYLOAD_BYTES },
    errorHandler: onWebSocketError,
  });
  // After the websocket plugin, whose hooks destroy the socket of an upgrade we answer.
  streamDeps.pendingStreams.install(app);
  await app.register(
    healthRoutes({
      database,
      activeCalls: () => active.size,
      refusals: () => refusals.snapshot(),
      draining: () => admission.isClosed,
    }),
  );
  await app.register(apiCallsRoutes({ calls, events, recordings }));
  await app.register(apiLiveRoutes({ live, calls, active, credentials: auth.credentials }));
  await app.register(apiOutboundRoutes({ agents, calls, settings, admission, config }));
  await app.register(
    apiFlowsRoutes({
      agents,
      flows,
      knownToolIds: knownToolIds(tools),
      mcpCatalog: mcpCatalog(agents, { fetch: egressFetch, credentials }),
    }),
  );
  await app.register(apiAgentsRoutes({ agents, credentials, config, egress, tools }));
  await app.register(apiAgentDeleteRoutes({ agents }));
  await app.register(apiVendorsRoutes());
  await app.register(apiServiceCheckRoutes({ agents, credentials, config, egress, fetch: egressFetch }));
  await app.register(apiToolsRoutes({ tools, credentials, egress, fetch: egressFetch }));
  await app.register(apiAgentGenerateRoutes({ agents, flows, llm: () => serverLLM(config, egressFetch) }));
  await app.register(apiTelephonySettingsRoutes({ settings, credentials, fetch: egressFetch }));
  await app.register(apiCredentialsRoutes({ credentials, openaiBaseUrl: config.openaiBaseUrl }));
  await app.register(twilioRoutes(streamDeps));
  await app.register(vobizRoutes(streamDeps));
  await app.register(exotelRoutes(streamDeps));
  await app.register(browserRoutes(streamDeps, auth.credentials));
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
  // Post-call work an earlier run left undone, once its journaled writes are stored.
  if (postCallDue.length > 0) {
    const rerun = { calls, agents, services, journal, postCall: streamDeps.postCall, logger: app.log };
    void journal.drained().then(() => {
      for (const callId of postCallDue) void postCallJournal.run(callId, () => rerunPostCall(callId, rerun));
    });
  }

  const shutdown = async () => {
    const running = [...active.values()];
    for (const session of running) session.cancel('server_shutdown');
    await Promise.allSettled(running.map((s) => s.run()));
    // Analyses and end-of-call webhooks under way; what is left after this stays due for the next start.
    await postCallJournal.settled(POST_CALL_GRACE_MS);
    admission.clear();
    await app.close();
    await journal.close(); // what the database did not take yet is replayed at the next start
    await maintenance.stop();
  };
  const drain = async (graceMs: number) => {
    admission.close(); // new calls hear the polite "busy" answer; health says `draining`
    app.log.info({ liveCalls: active.size, graceMs }, 'draining: no new calls');
    await allEnded([...active.values()], graceMs);
    const left = [...active.values()];
    for (const session of left) session.endWithGoodbye(SHUTDOWN_GOODBYE, 'server_shutdown');
    await allEnded(left, GOODBYE_MS);
    await shutdown();
  };
  return {
    app,
    active,
    live,
    drain,
    agents,
    calls,
    events,
    settings,
    flows,
    tools,
    journal,
    refusals,
    auth,
    credentials,
    maintenance,
    shutdown,
  };
}
