import {
  connectStreamTwiml,
  ProviderProtocolError,
  parseTwilioStatusCallback,
  publicRequestUrl,
  sayAndHangupTwiml,
  TwilioSerializer,
} from '@parley/telephony';
import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import { MediaStreamConnection } from '../calls/media-stream.ts';
import { acceptCall } from '../telephony/inbound.ts';
import { applyCallStatus } from '../telephony/status.ts';
import { allowOrRefuse, checkTwilioRequest } from '../telephony/webhook-auth.ts';
import { publicOrigin } from './public-url.ts';
import {
  agentParams,
  BUSY_APOLOGY,
  callIdQuery,
  type TelephonyRouteDeps,
  UNKNOWN_AGENT_APOLOGY,
  UNKNOWN_CALL_APOLOGY,
} from './telephony-deps.ts';

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
 *   apology and a hang-up.
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
      const result = await acceptCall(deps, {
        provider: 'twilio',
        agentId,
        providerCallId: CallSid,
        callId,
        direction: Direction?.startsWith('outbound') ? 'outbound' : 'inbound',
        from: From,
        to: To,
        metadata: { accountSid: AccountSid ?? null },
      });
      const log = { agentId, callSid: CallSid, callId };
      switch (result.outcome) {
        case 'unknown_agent':
          request.log.warn(log, 'inbound call for an unknown agent');
          return sayAndHangupTwiml(UNKNOWN_AGENT_APOLOGY);
        case 'unknown_call':
          request.log.warn(log, 'webhook for an unknown or ended call');
          return sayAndHangupTwiml(UNKNOWN_CALL_APOLOGY);
        case 'busy':
          request.log.warn({ ...log, callId: result.call.id }, 'call refused: concurrency limit');
          return sayAndHangupTwiml(BUSY_APOLOGY);
        case 'accepted': {
          // Twilio only streams to wss:// (TLS is usually terminated by a proxy in front of us).
          const url = publicRequestUrl(
            publicOrigin(request, deps.config),
            `/ws/twilio/${encodeURIComponent(agentId)}`,
            {
              websocket: true,
            },
          ).replace(/^ws:/, 'wss:');
          request.log.info({ ...log, callId: result.call.id }, 'answering call');
          return connectStreamTwiml({
            url,
            parameters: { callId: result.call.id, token: result.token, agentId: result.agent.id },
          });
        }
      }
    });

    app.post('/telephony/twilio/status', async (request, reply) => {
      const settings = await deps.settings.get();
      if (!allowOrRefuse(reply, checkTwilioRequest(request, settings, deps.config, 'webhook'), 'twilio'))
        return reply;
      const { callId } = callIdQuery.parse(request.query);
      let update: ReturnType<typeof parseTwilioStatusCallback>;
      try {
        update = parseTwilioStatusCallback(formOf(request.body));
      } catch (error) {
        if (!(error instanceof ProviderProtocolError)) throw error;
        return reply.code(400).send({ error: { code: 'invalid_webhook', message: error.message } });
      }
      if (update) await applyCallStatus(deps, 'twilio', update, callId);
      return reply.code(204).send();
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
          },
          deps,
        );
      },
    );
  };
}

/** A form body as string fields (the first of repeated ones); anything else as empty. */
export function formOf(body: unknown): Record<string, string> {
  if (typeof body !== 'object' || body === null) return {};
  const form: Record<string, string> = {};
  for (const [key, value] of Object.entries(body)) {
    if (typeof value === 'string') form[key] = value;
    else if (Array.isArray(value) && typeof value[0] === 'string') form[key] = value[0];
  }
  return form;
}
