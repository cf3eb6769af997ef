/**
 * The dashboard's browser test calls: an editor asks for a one-time call token, then the page
 * streams the microphone over `/ws/browser/:agent` and the call runs the agent's pipeline like
 * a phone call (stored with provider `browser`).
 */
import { BROWSER_CLOSE_CODES, BrowserSerializer } from '@parley/telephony';
import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import type { CredentialWatcher } from '../auth/credential-watch.ts';
import { SESSION_COOKIE } from '../auth/sessions.ts';
import { BrowserTranscriptRelay } from '../calls/browser-transcript.ts';
import { MediaStreamConnection } from '../calls/media-stream.ts';
import { BrowserCallOwners } from '../telephony/browser-call-owners.ts';
import { type BrowserStreamRefusal, browserStreamRefusal } from '../telephony/browser-stream-check.ts';
import { acceptCall } from '../telephony/inbound.ts';
import { sendApiError } from './errors.ts';
import { agentParams, type TelephonyRouteDeps } from './telephony-deps.ts';

const idParams = z.object({ id: z.string().min(1).max(100) });
/** Closes a test call whose credential ended before it ran (WebSocket "policy violation", RFC 6455 §7.4.1). */
const CREDENTIAL_ENDED_CLOSE_CODE = 1008;
/** The stream URL's query; overlong values are dropped (they cannot be a call id or token). */
const streamQuery = z.looseObject({
  callId: z.string().max(100).optional().catch(undefined),
  token: z.string().max(200).optional().catch(undefined),
});

/**
 * Browser test-call routes:
 * - `POST /api/agents/:id/browser-call` (editor or above; with a session, its CSRF token):
 *   stores a `ringing` inbound call with provider `browser` (its metadata names the user and
 *   marks it `test: true`; the token is bound to the session or key that asked for it, see
 *   `BrowserCallOwners`) and answers 201 `{ callId, token, url, expiresInSecs }`: `url` is
 *   the stream's path with the call id and its one-time token, good for one connection within
 *   `expiresInSecs` (the server's stream wait, after which the call ends `failed`/`no_stream`).
 *   Errors: 404 `agent_not_found`; 429 `concurrency_limit` (the call is stored as `busy`).
 * - `GET /ws/browser/:agent?callId=&token=`: the test call's WebSocket (protocol in
 *   `@parley/telephony`'s `browser/protocol.ts`). A stream without a token, with one for
 *   another agent, call or session, used or expired, or opened by a page of another origin (its
 *   `Origin` names neither this host nor `PUBLIC_URL`), is closed with its `BROWSER_CLOSE_CODES` code,
 *   logged as a warning and counted as `stream_refused`. A call ends once the credential that
 *   asked for its token does (end reason `session_ended` or `api_key_revoked`; the socket is
 *   closed 1000, or 1008 if the call is not running yet), or its user is no longer an editor:
 *   at once for a logout, password change, deleted user or revoked key on this server, within
 *   `RECHECK_MS` (5 s, `auth/credential-watch.ts`) for expiry or changes made on another server
 *   process. Not when the stream reached another server process than the one that issued the
 *   token (the binding is in its memory): such a call lasts at most the call's maximum duration.
 * @param credentials - Ends the calls whose credential ends.
 */
export function browserRoutes(deps: TelephonyRouteDeps, credentials: CredentialWatcher): FastifyPluginAsync {
  return async (app) => {
    const owners = new BrowserCallOwners();
    app.post('/api/agents/:id/browser-call', async (request, reply) => {
      const { id } = idParams.parse(request.params);
      const user = request.auth?.principal;
      const result = await acceptCall(deps, {
        provider: 'browser',
        agentId: id,
        providerCallId: undefined,
        direction: 'inbound',
        metadata: { test: true, userId: user?.id ?? null, user: user?.name ?? null, via: user?.type ?? null },
      });
      if (result.outcome === 'unknown_agent')
        return sendApiError(reply, 404, 'agent_not_found', `No agent ${id}`);
      if (result.outcome !== 'accepted') {
        return sendApiError(
          reply,
          429,
          'concurrency_limit',
          'The server carries the most calls it may: try again later',
        );
      }
      const { call, agent, token } = result;
      const expiresInSecs = Math.floor(deps.config.limits.streamWaitMs / 1000);
      if (request.auth) owners.bind(call.id, request.auth, deps.config.limits.streamWaitMs + 5000);
      const query = new URLSearchParams({ callId: call.id, token });
      return reply.code(201).send({
        callId: call.id,
        token,
        url: `/ws/browser/${encodeURIComponent(agent.id)}?${query.toString()}`,
        expiresInSecs,
      });
    });

    // Checked before the upgrade completes, so the handler closes at once with the refusal's code.
    const refusals = new WeakMap<object, BrowserStreamRefusal | undefined>();
    app.get(
      '/ws/browser/:agent',
      {
        websocket: true,
        preHandler: async (request) => {
          const { agent } = agentParams.parse(request.params);
          const { callId, token } = streamQuery.parse(request.query ?? {});
          if (isForeignOrigin(request.headers.origin, request.host, deps.config.publicUrl)) {
            refusals.set(request.raw, {
              code: BROWSER_CLOSE_CODES.tokenRefused,
              reason: 'cross-origin stream',
            });
            return;
          }
          let refusal = await browserStreamRefusal(deps.calls, agent, callId, token);
          if (!refusal && callId && !owners.allows(callId, request.cookies[SESSION_COOKIE])) {
            refusal = {
              code: BROWSER_CLOSE_CODES.tokenRefused,
              reason: 'the call belongs to another session',
            };
          }
          refusals.set(request.raw, refusal);
        },
      },
      (socket, request) => {
        const { agent } = agentParams.parse(request.params);
        const { callId, token } = streamQuery.parse(request.query ?? {});
        const refusal = refusals.get(request.raw);
        if (refusal || !callId || !token) {
          deps.refusals.count('stream_refused');
          request.log.warn(
            { agentId: agent, callId, remote: request.ip },
            `browser stream refused: ${refusal?.reason ?? 'no call token'}`,
          );
          deps.pendingStreams.ticketOf(request)?.release();
          socket.close(refusal?.code ?? BROWSER_CLOSE_CODES.noToken, refusal?.reason ?? 'no call token');
          return;
        }
        const owner = owners.ownerOf(callId);
        if (owner !== undefined) {
          // Starting a test call needs an editor (policy.ts): so does going on with it.
          const unwatch = credentials.watch(owner, 'editor', () => {
            request.log.info({ callId }, 'browser test call ended: the credential that started it ended');
            const running = deps.active.get(callId);
            // A running call ends with its reason stored (and closes the socket, 1000); else close now.
            if (running) running.cancel(owner.via === 'session' ? 'session_ended' : 'api_key_revoked');
            else socket.close(CREDENTIAL_ENDED_CLOSE_CODE, 'the credential that started the call ended');
          });
          socket.on('close', unwatch);
        }
        const serializer = new BrowserSerializer();
        const send = (message: string) => {
          if (socket.readyState === socket.OPEN) socket.send(message);
        };
        new MediaStreamConnection(
          socket,
          {
            provider: 'browser',
            agentId: agent,
            serializer,
            remoteAddress: request.ip,
            credentials: { callId, token },
            pending: deps.pendingStreams.ticketOf(request),
            refusedCloseCode: BROWSER_CLOSE_CODES.tokenRefused,
            observers: [new BrowserTranscriptRelay((line) => send(serializer.encodeTranscript(line)))],
          },
          deps,
        );
      },
    );
  };
}

/**
 * Whether a WebSocket's `Origin` names another site than this server (its `Host`, or the
 * configured public URL's origin). Browsers send cookies and `Origin` on cross-site WebSockets,
 * so a page elsewhere is refused even if it got hold of a token; clients that are not browsers
 * send no `Origin` and are left to the token.
 */
function isForeignOrigin(origin: string | undefined, host: string, publicUrl: string | undefined): boolean {
  if (origin === undefined) return false;
  let parsed: URL;
  try {
    parsed = new URL(origin);
  } catch {
    return true; // `null` (sandboxed frames, files) or garbage
  }
  if (parsed.host === host) return false;
  return publicUrl === undefined || parsed.origin !== new URL(publicUrl).origin;
}
