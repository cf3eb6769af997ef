import {
  connectStreamTwiml,
  parseTwilioStatusCallback,
  rejectTwiml,
  sayAndHangupTwiml,
  TwilioSerializer,
} from '@parley/telephony';
import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import { MediaStreamConnection } from '../calls/media-stream.ts';
import { twilioStreamPath, twilioStreamUrl } from '../telephony/stream-urls.ts';
import { allowOrRefuse, checkTwilioRequest } from '../telephony/webhook-auth.ts';
import { APOLOGIES, acceptAndAnswer, statusCallbackRoute } from './call-webhooks.ts';
import { publicOrigin } from './public-url.ts';
import { agentParams, callIdQuery, type TelephonyRouteDeps } from './telephony-deps.ts';

/** Form fields of Twilio's voice webhook we use (https://www.twilio.com/docs/usage/webhooks/voice-webhooks). */
const voiceWebhookSchema = z.looseObject({
  CallSid: z.string().min(1),
  AccountSid: z.string().optional(),
  From: z.string().optional(),
  To: z.string().optional(),
  Direction: z.string().optional(),
});

/**
 * Twilio routes:
 * - `POST /telephony/twilio/inbound/:agent[?callId=]`: the voice webhook (of a number, or of a
 *   call we placed, whose id `callId` carries); answers TwiML that opens a bidirectional
 *   `<Connect><Stream>` to `/ws/twilio/:agent` with `<Parameter>`s `callId` and a one-time
 *   `token`; an unknown agent or call, or a call over the concurrency limit, gets a spoken
 *   apology and a hang-up; a webhook for a call that has its token already, is streaming or
 *   has ended (a retry, or a replayed webhook) gets `<Reject/>` and no token.
 * - `POST /telephony/twilio/status[?callId=]`: call status callbacks.
 * - `GET /ws/twilio/:agent`: the Media Streams WebSocket (one pipeline per call).
 * With a Twilio auth token set, all require a valid `X-Twilio-Signature`
 * (https://www.twilio.com/docs/usage/security#validating-requests).
 */
export function twilioRoutes(deps: TelephonyRouteDeps): FastifyPluginAsync {
  return async (app) => {
    app.post('/telephony/twilio/inbound/:agent', async (request, reply) => {
      const { agent: agentId } = agentParams.parse(request.params);
      const { callId } = callIdQuery.parse(request.query);
      const settings = await deps.settings.get();
      if (!allowOrRefuse(reply, checkTwilioRequest(request, settings, deps.config, 'webhook'), 'twilio'))
        return reply;
      const form = voiceWebhookSchema.safeParse(request.body ?? {});
      if (!form.success) {
        return reply.code(400).send({ error: { code: 'invalid_webhook', message: 'CallSid is required' } });
      }
      const { CallSid, AccountSid, From, To, Direction } = form.data;
      reply.type('text/xml');
      return acceptAndAnswer(
        request,
        deps,
        {
          provider: 'twilio',
          agentId,
          providerCallId: CallSid,
          callId,
          direction: Direction?.startsWith('outbound') ? 'outbound' : 'inbound',
          from: From,
          to: To,
          metadata: { accountSid: AccountSid ?? null },
        },
        {
          refused: (outcome) =>
            outcome === 'duplicate' ? rejectTwiml() : sayAndHangupTwiml(APOLOGIES[outcome]),
          accepted: ({ call, agent, token }) => {
            const url = twilioStreamUrl(publicOrigin(request, deps.config), twilioStreamPath(agent.id));
            return connectStreamTwiml({ url, parameters: { callId: call.id, token, agentId: agent.id } });
          },
        },
      );
    });

    statusCallbackRoute(app, deps, 'twilio', {
      authenticate: (request, settings) => checkTwilioRequest(request, settings, deps.config, 'webhook'),
      parse: parseTwilioStatusCallback,
    });

    app.get(
      '/ws/twilio/:agent',
      {
        websocket: true,
        preValidation: async (request, reply) => {
          const settings = await deps.settings.get();
          if (!allowOrRefuse(reply, checkTwilioRequest(request, settings, deps.config, 'stream'), 'twilio'))
            return reply;
        },
      },
      (socket, request) => {
        const { agent } = agentParams.parse(request.params);
        new MediaStreamConnection(
          socket,
          {
            provider: 'twilio',
            agentId: agent,
            serializer: new TwilioSerializer(),
            remoteAddress: request.ip,
            pending: deps.pendingStreams.ticketOf(request),
          },
          deps,
        );
      },
    );
  };
}
