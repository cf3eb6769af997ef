import {
  parseVobizStatusCallback,
  publicRequestUrl,
  VobizSerializer,
  vobizDialXml,
  vobizHangupXml,
  vobizSpeakAndHangupXml,
  vobizStreamXml,
} from '@parley/telephony';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { WebSocket } from 'ws';
import { z } from 'zod';
import { credentialsOf, MediaStreamConnection } from '../calls/media-stream.ts';
import { isVobizTransferToken } from '../telephony/transfer.ts';
import { allowOrRefuse, checkVobizRequest } from '../telephony/webhook-auth.ts';
import { APOLOGIES, acceptAndAnswer, formOf, statusCallbackRoute } from './call-webhooks.ts';
import { publicOrigin } from './public-url.ts';
import { agentParams, callIdQuery, type TelephonyRouteDeps } from './telephony-deps.ts';

/** Fields of Vobiz's `answer_url` request we use (https://docs.vobiz.ai/xml/request). */
const answerSchema = z.looseObject({
  CallUUID: z.string().min(1),
  From: z.string().optional(),
  To: z.string().optional(),
  Direction: z.string().optional(),
});

const streamParams = agentParams.extend({
  callId: z.string().min(1).max(100),
  token: z.string().min(1).max(100),
});

const transferParams = z.object({
  callId: z.string().min(1).max(100),
  destination: z.string().min(1).max(100),
  token: z.string().min(1).max(100),
});

/**
 * Vobiz routes:
 * - `POST /telephony/vobiz/inbound/:agent[?callId=]`: the `answer_url` (of a number's
 *   application, or of a call we placed); answers VobizXML `<Stream bidirectional="true"
 *   keepCallAlive="true" contentType="audio/x-mulaw;rate=8000">` whose URL path carries the call
 *   id and a one-time token (`/ws/vobiz/:agent/:callId/:token`: path segments are what Vobiz is
 *   documented to keep); an unknown agent or call, or a call over the limit, hears an apology
 *   and is hung up; a webhook for a call that has its token already, is streaming or has ended
 *   gets a bare `<Hangup/>` and no token.
 * - `POST /telephony/vobiz/status[?callId=]`: `hangup_url` and other call callbacks.
 * - `POST /telephony/vobiz/transfer/:callId/:destination/:token`: the `aleg_url` of a transfer
 *   the agent asked for (`transfer_call`); answers `<Dial>` of the destination's number, read
 *   from the agent's configuration (never from the request). It needs a valid
 *   `X-Vobiz-Signature-V3` (so a Vobiz auth token must be set) and the token this server made
 *   for that call and destination (`vobizTransferToken`); otherwise 403. A call or destination
 *   that is gone (or a `CallUUID` of another call) gets 404 and `<Hangup/>`.
 * - `GET /ws/vobiz/:agent/:callId/:token` (and `/ws/vobiz/:agent` with `callId`/`token` in the
 *   `extraHeaders`): the audio stream.
 * With a Vobiz auth token set, webhooks need a valid `X-Vobiz-Signature-V3`
 * (https://docs.vobiz.ai/concepts/validating-callbacks); Vobiz does not sign the stream, which
 * the one-time token protects.
 */
export function vobizRoutes(deps: TelephonyRouteDeps): FastifyPluginAsync {
  return async (app) => {
    app.post('/telephony/vobiz/inbound/:agent', async (request, reply) => {
      const { agent: agentId } = agentParams.parse(request.params);
      const { callId } = callIdQuery.parse(request.query);
      if (!(await authenticated(request, reply))) return reply;
      const form = answerSchema.safeParse(formOf(request.body));
      if (!form.success) {
        return reply.code(400).send({ error: { code: 'invalid_webhook', message: 'CallUUID is required' } });
      }
      const { CallUUID, From, To, Direction } = form.data;
      reply.type('application/xml');
      return acceptAndAnswer(
        request,
        deps,
        {
          provider: 'vobiz',
          agentId,
          providerCallId: CallUUID,
          callId,
          direction: Direction === 'outbound' ? 'outbound' : 'inbound',
          from: From,
          to: To,
        },
        {
          refused: (outcome) =>
            outcome === 'duplicate' ? vobizHangupXml() : vobizSpeakAndHangupXml(APOLOGIES[outcome]),
          accepted: ({ call, agent, token }) => {
            const path = ['ws', 'vobiz', agent.id, call.id, token].map(encodeURIComponent).join('/');
            const origin = publicOrigin(request, deps.config);
            return vobizStreamXml({
              url: publicRequestUrl(origin, `/${path}`, { websocket: true }),
              contentType: 'audio/x-mulaw;rate=8000',
            });
          },
        },
      );
    });

    app.post('/telephony/vobiz/transfer/:callId/:destination/:token', async (request, reply) => {
      const { callId, destination, token } = transferParams.parse(request.params);
      const settings = await deps.settings.get();
      const { authToken } = settings.vobiz;
      // Unlike the other webhooks, never unchecked: it answers with a number to dial.
      const owned =
        authToken !== undefined &&
        checkVobizRequest(request, settings, deps.config) === 'verified' &&
        isVobizTransferToken(authToken, callId, destination, token);
      if (!allowOrRefuse(reply, owned ? 'verified' : 'refused', 'vobiz')) return reply;
      const call = z.uuid().safeParse(callId).success ? await deps.calls.get(callId) : undefined;
      const agent = call?.agentId ? await deps.agents.get(call.agentId) : undefined;
      const target = agent?.config.transfer?.destinations.find((d) => d.name === destination);
      reply.type('application/xml');
      const sameCall = call?.provider === 'vobiz' && call.providerCallId === formOf(request.body).CallUUID;
      if (!sameCall || !target) {
        request.log.warn({ callId, destination }, 'Vobiz transfer for a call or destination that is gone');
        return reply.code(404).send(vobizHangupXml());
      }
      request.log.info({ callId, destination }, 'answering a Vobiz transfer');
      const callerId = agent?.config.transfer?.callerId;
      return vobizDialXml({ to: target.number, ...(callerId === undefined ? {} : { callerId }) });
    });

    statusCallbackRoute(app, deps, 'vobiz', {
      authenticate: (request, settings) => checkVobizRequest(request, settings, deps.config),
      parse: parseVobizStatusCallback,
    });

    const stream = (socket: WebSocket, request: FastifyRequest) => {
      const path = streamParams.partial({ callId: true, token: true }).parse(request.params);
      new MediaStreamConnection(
        socket,
        {
          provider: 'vobiz',
          agentId: path.agent,
          serializer: new VobizSerializer({ contentType: 'audio/x-mulaw;rate=8000' }),
          remoteAddress: request.ip,
          pending: deps.pendingStreams.ticketOf(request),
          credentials: credentialsOf(path),
        },
        deps,
      );
    };
    app.get('/ws/vobiz/:agent', { websocket: true }, stream);
    app.get('/ws/vobiz/:agent/:callId/:token', { websocket: true }, stream);
  };

  async function authenticated(request: FastifyRequest, reply: FastifyReply): Promise<boolean> {
    const settings = await deps.settings.get();
    return allowOrRefuse(reply, checkVobizRequest(request, settings, deps.config), 'vobiz');
  }
}
