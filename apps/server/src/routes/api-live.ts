/**
 * The live monitor's API: a server-sent event stream of the calls in progress, and ending a
 * live call on a person's request.
 */
import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import type { CredentialWatcher } from '../auth/credential-watch.ts';
import type { CallSession } from '../calls/call-session.ts';
import type { CallRepository } from '../db/calls.ts';
import type { LiveCallSnapshot, LiveEventBus, LiveMessage } from '../live/live-bus.ts';
import { sendApiError } from './errors.ts';

/** What {@link apiLiveRoutes} needs. */
export interface ApiLiveDeps {
  readonly live: LiveEventBus;
  readonly calls: CallRepository;
  /** The server's live sessions by call id. */
  readonly active: ReadonlyMap<string, CallSession>;
  /** Ends a stream once the session or API key that opened it is no longer valid. */
  readonly credentials: CredentialWatcher;
  /** A comment line is sent this often so proxies and browsers keep the stream open, ms. */
  readonly heartbeatMs?: number;
  /**
   * A stream is closed after this long, ms; the browser's `EventSource` reconnects, which
   * goes through the guard again and starts from a new snapshot.
   */
  readonly maxStreamMs?: number;
}

/** At most this many live streams at once (each holds a socket and a subscription). */
const MAX_STREAMS = 200;
/** At most this many per user or API key, so that one of them cannot take every stream. */
const MAX_STREAMS_PER_PRINCIPAL = 10;
/** A client that leaves this much unread is dropped (it reconnects to a fresh snapshot). */
const MAX_UNSENT_BYTES = 1024 * 1024;
/** How long `POST /api/calls/:id/end` waits for the call to be stored as ended, ms. */
const END_WAIT_MS = 10_000;
/** What the browser waits before reconnecting a dropped stream, ms (the SSE `retry` field). */
const RETRY_MS = 3000;

/** A message of the `GET /api/live` stream. */
export type LiveStreamMessage =
  | LiveMessage
  | { readonly kind: 'snapshot'; readonly calls: readonly LiveCallSnapshot[] };

const idParamsSchema = z.object({ id: z.string() });

/**
 * The live API, as a Fastify plugin. Both routes are under the `/api/*` guard (see `policy.ts`).
 *
 * - `GET /api/live` (any role): `text/event-stream` (406 `not_acceptable` unless the request's `Accept` names it). Each message is one `data:` line of JSON
 *   with a `kind`: first `snapshot` (`calls`: each call in progress as `{ call, events }`,
 *   `call` its `LiveCallInfo`, `events` its recent `LiveEvent`s), then
 *   `call_started` (`call`), `event` (`callId`, `event`: `type`, `at`, `data`, as the calls
 *   API stores them, plus live-only `transcript_partial`) and `call_ended` (`callId`). A
 *   comment line every `heartbeatMs`; the stream ends after `maxStreamMs`, when the server
 *   closes, when the client falls too far behind, or when the credential that opened it stops
 *   being valid: at once on this server for a logout, a password change that ends the session,
 *   a deleted user or a revoked key; within `RECHECK_MS` (5 s, see `auth/credential-watch.ts`)
 *   for an idle or absolute session expiry, or any of those done on another server process. 503 `too_many_streams` over
 *   {@link MAX_STREAMS} in all, 429 `too_many_streams` over {@link MAX_STREAMS_PER_PRINCIPAL} for one
 *   user or API key.
 * - `POST /api/calls/:id/end` (editor; CSRF for cookie sessions): ends a call live on this
 *   server at once, stores an `ended_by` event naming who (user or API key: `type`, `id`,
 *   `name`), ends it with reason `ended_by_user` and hangs up through the provider. Answers
 *   200 with the call once it is stored as ended, or 202 `{ id, status: 'ending' }` if that
 *   takes over 10 s. 404 `call_not_found` for an unknown id; 409 `call_not_live` for a call
 *   that is not in progress here.
 */
export function apiLiveRoutes(deps: ApiLiveDeps): FastifyPluginAsync {
  const heartbeatMs = deps.heartbeatMs ?? 15_000;
  const maxStreamMs = deps.maxStreamMs ?? 10 * 60_000;
  return async (app) => {
    const open = new Set<() => void>();
    const perPrincipal = new Map<string, number>();
    // Streams never end by themselves: close them before the server waits for its requests.
    app.addHook('preClose', async () => {
      for (const close of [...open]) close();
    });

    app.get('/api/live', async (request, reply) => {
      if (!accepts(request.headers.accept)) {
        return sendApiError(
          reply,
          406,
          'not_acceptable',
          'This is an event stream: send Accept: text/event-stream',
        );
      }
      if (open.size >= MAX_STREAMS) {
        return sendApiError(
          reply,
          503,
          'too_many_streams',
          'Too many live monitors are open; try again later',
        );
      }
      const principal = request.auth?.principal;
      const owner = principal ? `${principal.type}:${principal.id}` : '';
      const owned = perPrincipal.get(owner) ?? 0;
      if (owned >= MAX_STREAMS_PER_PRINCIPAL) {
        return sendApiError(
          reply,
          429,
          'too_many_streams',
          `At most ${MAX_STREAMS_PER_PRINCIPAL} live monitors at once per user or API key: close one first`,
        );
      }
      reply.hijack();
      const res = reply.raw;
      res.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-store',
        connection: 'keep-alive',
        'x-accel-buffering': 'no', // nginx: do not buffer the stream
      });
      res.write(`retry: ${RETRY_MS}\n\n`);
      let unsubscribe = (): void => {};
      let unwatch = (): void => {};
      let heartbeat: NodeJS.Timeout | undefined;
      let expiry: NodeJS.Timeout | undefined;
      const close = (): void => {
        if (!open.delete(close)) return;
        const left = (perPrincipal.get(owner) ?? 1) - 1;
        if (left > 0) perPrincipal.set(owner, left);
        else perPrincipal.delete(owner);
        unsubscribe();
        unwatch();
        clearInterval(heartbeat);
        clearTimeout(expiry);
        res.end();
      };
      const send = (message: LiveStreamMessage): void => {
        if (res.writableLength > MAX_UNSENT_BYTES) {
          request.log.warn('live monitor dropped: the client does not keep up');
          close();
          return;
        }
        res.write(`data: ${JSON.stringify(message)}\n\n`); // JSON has no raw newline: one line
      };
      open.add(close);
      perPrincipal.set(owner, owned + 1);
      res.on('close', close); // the client went away (or we ended the stream)
      res.on('error', close);
      // Any role may watch (policy.ts); `auth` is null only where no guard is installed (unit tests).
      if (request.auth !== null) unwatch = deps.credentials.watch(request.auth, 'viewer', close);
      unsubscribe = deps.live.subscribe(send);
      send({ kind: 'snapshot', calls: deps.live.snapshot() });
      heartbeat = setInterval(() => res.write(': ping\n\n'), heartbeatMs);
      expiry = setTimeout(close, maxStreamMs);
    });

    app.post('/api/calls/:id/end', async (request, reply) => {
      const { id } = idParamsSchema.parse(request.params);
      const call = await deps.calls.get(id);
      if (call === undefined) return sendApiError(reply, 404, 'call_not_found', `No call ${id}`);
      const session = deps.active.get(call.id);
      const principal = request.auth?.principal;
      if (session === undefined || principal === undefined) {
        return sendApiError(reply, 409, 'call_not_live', `Call ${id} is not in progress on this server`);
      }
      request.log.info({ callId: id, by: principal.name }, 'call ended on request');
      session.endBy({ type: principal.type, id: principal.id, name: principal.name });
      if (!(await settlesWithin(session.run(), END_WAIT_MS))) {
        return reply.code(202).send({ id, status: 'ending' });
      }
      return (await deps.calls.get(id)) ?? { id, status: 'ending' };
    });
  };
}

/** Whether an `Accept` header takes an event stream (`EventSource` always sends `text/event-stream`). */
function accepts(accept: string | undefined): boolean {
  return accept?.split(',').some((type) => type.split(';')[0]?.trim() === 'text/event-stream') ?? false;
}

/** Whether `promise` settles (either way) within `ms`. */
async function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  const settled = promise.then(
    () => true,
    () => true,
  );
  try {
    return await Promise.race([settled, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
