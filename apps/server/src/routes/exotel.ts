import { ExotelSerializer, exotelSampleRateFromQuery, parseExotelStatusCallback } from '@parley/telephony';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { credentialsOf, MediaStreamConnection } from '../calls/media-stream.ts';
import { exotelStreamUrl } from '../telephony/stream-urls.ts';
import { allowOrRefuse, checkExotelRequest, checkExotelStatusRequest } from '../telephony/webhook-auth.ts';
import { acceptAndAnswer, formOf, type RefusedOutcome, statusCallbackRoute } from './call-webhooks.ts';
import { sendApiError } from './errors.ts';
import { publicOrigin } from './public-url.ts';
import { agentParams, type TelephonyRouteDeps } from './telephony-deps.ts';

/** Call fields Exotel passes to dynamic URLs (query or form; which, and whether all, is not documented). */
const dynamicUrlSchema = z.looseObject({
  CallSid: z.string().min(1).optional(),
  CallFrom: z.string().optional(),
  CallTo: z.string().optional(),
  From: z.string().optional(),
  To: z.string().optional(),
});

/** Stream credentials in the upgrade's query (Exotel passes custom parameters there and in `start`). */
const streamQuery = z.looseObject({
  callId: z.string().max(100).optional(),
  token: z.string().max(100).optional(),
});

/**
 * Exotel routes (https://developer.exotel.com/docs/agentstream/stream-voicebot-applet):
 * - `GET|POST /telephony/exotel/inbound/:agent`: the Voicebot applet's dynamic URL; answers
 *   `{"url":"wss://…/ws/exotel/:agent?callId=…&token=…"}` (with the Basic credentials embedded
 *   when an API key and token are set). An unknown agent gets 404, a call over the concurrency
 *   limit 503 (Exotel's flow then goes on to its next applet), a `CallSid` that has its stream
 *   token already, is streaming or has ended 409.
 * - `POST /telephony/exotel/status[?callId=&sig=]`: call status callbacks (those of calls we
 *   placed authenticate with their `sig`, see `checkExotelStatusRequest`).
 * - `GET /ws/exotel/:agent`: the AgentStream WebSocket; `?sample-rate=` picks the rate.
 * Exotel signs nothing: with an IP allow-list and/or API key and token set, requests and
 * upgrades must come from an allowed address and/or carry the Basic credentials. A stream
 * that so authenticates may start a call without a token (a static applet URL); any other
 * stream must carry a call's one-time token.
 */
export function exotelRoutes(deps: TelephonyRouteDeps): FastifyPluginAsync {
  return async (app) => {
    const answer = async (request: FastifyRequest, reply: FastifyReply) => {
      const { agent: agentId } = agentParams.parse(request.params);
      const settings = await deps.settings.get();
      if (!allowOrRefuse(reply, checkExotelRequest(request, settings), 'exotel')) return reply;
      const fields = dynamicUrlSchema.parse({ ...formOf(request.query), ...formOf(request.body) });
      return acceptAndAnswer(
        request,
        deps,
        {
          provider: 'exotel',
          agentId,
          providerCallId: fields.CallSid,
          direction: 'inbound',
          from: fields.CallFrom ?? fields.From,
          to: fields.CallTo ?? fields.To,
        },
        {
          refused: (outcome) => sendApiError(reply, ...EXOTEL_REFUSALS[outcome]),
          accepted: ({ call, agent, token }) => {
            const url = exotelStreamUrl(
              publicOrigin(request, deps.config),
              agent.id,
              { callId: call.id, token },
              settings.exotel,
            );
            return reply.type('application/json').send({ url });
          },
        },
      );
    };
    app.get('/telephony/exotel/inbound/:agent', answer);
    app.post('/telephony/exotel/inbound/:agent', answer);

    statusCallbackRoute(app, deps, 'exotel', {
      authenticate: checkExotelStatusRequest,
      parse: parseExotelStatusCallback,
    });

    app.get(
      '/ws/exotel/:agent',
      {
        websocket: true,
        preValidation: async (request, reply) => {
          const settings = await deps.settings.get();
          const outcome = checkExotelRequest(request, settings);
          if (!allowOrRefuse(reply, outcome, 'exotel')) return reply;
          // Remembered for the handler: an authenticated upgrade may start a call without a token.
          if (outcome === 'verified') authenticatedUpgrades.add(request.raw);
        },
      },
      (socket, request) => {
        const { agent } = agentParams.parse(request.params);
        const query = streamQuery.parse(request.query);
        const search = new URLSearchParams(request.url.split('?')[1] ?? '');
        new MediaStreamConnection(
          socket,
          {
            provider: 'exotel',
            agentId: agent,
            serializer: new ExotelSerializer({ sampleRateHz: exotelSampleRateFromQuery(search) ?? 8000 }),
            remoteAddress: request.ip,
            pending: deps.pendingStreams.ticketOf(request),
            credentials: credentialsOf(query),
            authenticated: authenticatedUpgrades.delete(request.raw),
          },
          deps,
        );
      },
    );
  };
}

/** Exotel's flow goes on to its next applet when the dynamic URL answers an error. */
const EXOTEL_REFUSALS: Readonly<Record<RefusedOutcome, [number, string, string]>> = {
  unknown_agent: [404, 'agent_not_found', 'No such agent'],
  unknown_call: [404, 'call_not_found', 'The call has ended'],
  busy: [503, 'concurrency_limit', 'All agents are busy'],
  duplicate: [409, 'call_already_answered', 'The call has its stream already, or has ended'],
};

/** Upgrade requests that passed the allow-list and/or Basic auth (not merely unchecked). */
const authenticatedUpgrades = new WeakSet<object>();
