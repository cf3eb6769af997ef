/**
 * The health check for load balancers and orchestrators.
 */
import type { FastifyPluginAsync } from 'fastify';
import { sql } from 'kysely';
import type { Database } from '../db/database.ts';

/** What {@link healthRoutes} needs. */
export interface HealthDeps {
  readonly database: Database;
  /** How many calls this process is handling now. */
  readonly activeCalls: () => number | Promise<number>;
  /** How long the database may take to answer `select 1`, in milliseconds. @defaultValue 1000 */
  readonly databaseTimeoutMs?: number;
  /** True while the server drains before stopping: load balancers should send it no new calls. */
  readonly draining?: () => boolean;
  /** Counts of refused webhooks, streams and requests since start-up, by kind (see `RefusalCounters`). */
  readonly refusals?: () => Readonly<Record<string, number>>;
}

/** The body of `GET /health`. */
export interface HealthBody {
  /**
   * `ok`; `draining` (status 503) while the server finishes its calls before stopping;
   * `unavailable` (503) when the database did not answer in time or failed.
   */
  readonly status: 'ok' | 'draining' | 'unavailable';
  /** Seconds since the process started, whole. */
  readonly uptimeSecs: number;
  readonly database: Database['dialect'];
  readonly activeCalls: number;
  /** Refusals since start-up, by kind (see `RefusalKind`), when the server counts them. */
  readonly refusals?: Readonly<Record<string, number>>;
  /** Why the status is `unavailable`. */
  readonly reason?: string;
}

/**
 * `GET /health`, as a Fastify plugin (register it with `app.register(healthRoutes(deps))`):
 * 200 with a {@link HealthBody} of status `ok` when the database answers `select 1` within
 * `databaseTimeoutMs`, otherwise 503 with status `unavailable` and a `reason` (the database
 * error itself is logged, not sent). Never cached (`Cache-Control: no-store`).
 */
export function healthRoutes(deps: HealthDeps): FastifyPluginAsync {
  const timeoutMs = deps.databaseTimeoutMs ?? 1000;
  return async (app) => {
    app.get('/health', async (request, reply) => {
      reply.header('cache-control', 'no-store');
      const [databaseProblem, activeCalls] = await Promise.all([
        checkDatabase(deps.database, timeoutMs),
        deps.activeCalls(),
      ]);
      const body: HealthBody = {
        status: databaseProblem === undefined ? 'ok' : 'unavailable',
        uptimeSecs: Math.floor(process.uptime()),
        database: deps.database.dialect,
        activeCalls,
        ...(deps.refusals ? { refusals: deps.refusals() } : {}),
        ...(databaseProblem === undefined ? {} : { reason: databaseProblem.reason }),
      };
      if (databaseProblem !== undefined) {
        request.log.warn({ err: databaseProblem.error }, `health check failed: ${databaseProblem.reason}`);
        return reply.code(503).send(body);
      }
      if (deps.draining?.()) return reply.code(503).send({ ...body, status: 'draining' });
      return body;
    });
  };
}

/** Runs `select 1`; resolves to `undefined` if it answered in time, otherwise to what went wrong. */
async function checkDatabase(
  database: Database,
  timeoutMs: number,
): Promise<{ reason: string; error?: unknown } | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<{ reason: string }>((resolve) => {
    timer = setTimeout(
      () => resolve({ reason: `the database did not answer within ${timeoutMs} ms` }),
      timeoutMs,
    );
  });
  const query = sql`select 1`.execute(database.db).then(
    () => undefined,
    (error: unknown) => ({ reason: 'the database query failed', error }),
  );
  try {
    return await Promise.race([query, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
