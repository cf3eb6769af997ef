import {
  connectStreamTwiml,
  sayAndHangupTwiml,
  TwilioSerializer,
  validateTwilioSignature,
} from '@parley/telephony';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { MediaStreamConnection, type MediaStreamDeps } from '../calls/media-stream.ts';
import type { ServerConfig } from '../config/server-config.ts';
import { publicOrigin } from './public-url.ts';

/** Form fields of Twilio's voice webhook we use (https://www.twilio.com/docs/usage/webhooks/voice-webhooks). */
const voiceWebhookSchema = z.looseObject({
  CallSid: z.string().min(1),
  AccountSid: z.string().optional(),
  From: z.string().optional(),
  To: z.string().optional(),
  Direction: z.string().optional(),
});

const agentParams = z.object({ agent: z.string().min(1).max(100) });

const UNKNOWN_AGENT_APOLOGY = 'Sorry, this number is not connected to an agent. Goodbye.';

/**
 * Twilio routes:
 * - `POST /telephony/twilio/inbound/:agent`: the voice webhook; answers TwiML that opens a
 *   bidirectional `<Connect><Stream>` to `/ws/twilio/:agent` carrying the call id, or, for an
 *   unknown agent, a spoken apology and a hang-up.
 * - `GET /ws/twilio/:agent`: the Media Streams WebSocket (one pipeline per call).
 * With `TWILIO_AUTH_TOKEN` set, both require a valid `X-Twilio-Signature`
 * (https://www.twilio.com/docs/usage/security#validating-requests).
 */
export function twilioRoutes(deps: MediaStreamDeps & { readonly config: ServerConfig }): FastifyPluginAsync {
  return async (app) => {
    app.post('/telephony/twilio/inbound/:agent', async (request, reply) => {
      const { agent: agentId } = agentParams.parse(request.params);
      if (!checkSignature(request, reply, deps.config)) return reply;
      const form = voiceWebhookSchema.safeParse(request.body ?? {});
      if (!form.success) {
        return reply.code(400).send({ error: { code: 'invalid_webhook', message: 'CallSid is required' } });
      }
      const { CallSid, AccountSid, From, To, Direction } = form.data;
      reply.type('text/xml');
      const agent = await deps.agents.get(agentId);
      if (!agent) {
        request.log.warn({ agentId, callSid: CallSid }, 'inbound call for an unknown agent');
        return sayAndHangupTwiml(UNKNOWN_AGENT_APOLOGY);
      }
      const existing = await deps.calls.findByProviderCallId('twilio', CallSid);
      const call =
        existing ??
        (await deps.calls.create({
          agentId: agent.id,
          provider: 'twilio',
          direction: Direction?.startsWith('outbound') ? 'outbound' : 'inbound',
          status: 'ringing',
          from: From ?? null,
          to: To ?? null,
          providerCallId: CallSid,
          providerMetadata: { accountSid: AccountSid ?? null },
        }));
      // Twilio only streams to wss:// (TLS is usually terminated by a proxy in front of us).
      const { host } = new URL(publicOrigin(request, deps.config));
      const wsUrl = `wss://${host}/ws/twilio/${encodeURIComponent(agent.id)}`;
      request.log.info({ callId: call.id, callSid: CallSid, agentId }, 'answering inbound call');
      return connectStreamTwiml({ url: wsUrl, parameters: { callId: call.id, agentId: agent.id } });
    });

    app.get(
      '/ws/twilio/:agent',
      {
        websocket: true,
        preValidation: async (request, reply) => {
          if (!checkSignature(request, reply, deps.config, 'ws')) return reply;
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

/** Sends 403 and returns false when a Twilio signature is required and wrong. */
function checkSignature(
  request: FastifyRequest,
  reply: FastifyReply,
  config: ServerConfig,
  scheme: 'http' | 'ws' = 'http',
): boolean {
  const authToken = config.twilioAuthToken;
  if (!authToken) return true;
  const signature = request.headers['x-twilio-signature'];
  let url = `${publicOrigin(request, config)}${request.url}`;
  if (scheme === 'ws') url = url.replace(/^http/, 'ws');
  const params = scheme === 'http' && isFormRecord(request.body) ? request.body : {};
  if (typeof signature === 'string' && validateTwilioSignature({ authToken, signature, url, params }))
    return true;
  request.log.warn({ url }, 'rejected a request with a missing or invalid X-Twilio-Signature');
  void reply.code(403).send({ error: { code: 'invalid_signature', message: 'invalid X-Twilio-Signature' } });
  return false;
}

/** A parsed form body: each field a string, or several strings for a repeated key. */
function isFormRecord(v: unknown): v is Record<string, string | string[]> {
  return (
    typeof v === 'object' &&
    v !== null &&
    Object.values(v).every(
      (x) => typeof x === 'string' || (Array.isArray(x) && x.every((y) => typeof y === 'string')),
    )
  );
}
