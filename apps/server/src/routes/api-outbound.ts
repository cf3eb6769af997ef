/**
 * `POST /api/calls/outbound`: places a call through a provider's REST API; when answered, the
 * provider streams it to the agent like an inbound call.
 */
import { ProviderApiError, type ProviderName, publicRequestUrl } from '@parley/telephony';
import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import type { ServerConfig } from '../config/server-config.ts';
import { contextIssues } from '../context/variables.ts';
import type { AgentRepository } from '../db/agents.ts';
import type { CallRepository } from '../db/calls.ts';
import type { TelephonySettingsRepository } from '../db/telephony-settings.ts';
import type { CallAdmission } from '../telephony/admission.ts';
import { callControlFor } from '../telephony/call-controls.ts';
import { OVER_LIMIT_REASON } from '../telephony/inbound.ts';
import { canPlaceCalls, PROVIDERS, type TelephonySettings } from '../telephony/settings.ts';
import { newStreamToken } from '../telephony/stream-token.ts';
import { exotelStreamUrl } from '../telephony/stream-urls.ts';
import { exotelStatusToken } from '../telephony/webhook-auth.ts';
import { sendApiError, sendInvalid } from './errors.ts';
import { publicOrigin } from './public-url.ts';

/** What {@link apiOutboundRoutes} needs. */
export interface ApiOutboundDeps {
  readonly agents: AgentRepository;
  readonly calls: CallRepository;
  readonly settings: TelephonySettingsRepository;
  readonly admission: CallAdmission;
  readonly config: ServerConfig;
}

/** A phone number: E.164 (`+` and 8–15 digits), or digits alone as some providers take them. */
const phoneNumber = z.string().regex(/^\+?[0-9]{3,15}$/, 'a phone number: digits, optionally after +');

const bodySchema = z.strictObject({
  /** The agent that talks to the callee. */
  agent: z.string().min(1).max(64),
  to: phoneNumber,
  /** Our number at the provider (Exotel: the ExoPhone). */
  from: phoneNumber,
  /** Default: the settings' default provider, else the only provider with credentials. */
  provider: z.enum(['twilio', 'exotel', 'vobiz']).optional(),
  /** Variables of the agent's prompt and greeting templates (`{{name}}`). */
  context: z
    .record(z.string().min(1).max(64), z.union([z.string().max(2000), z.number(), z.boolean()]))
    .optional(),
});

/** How long placing a call may take, ms. */
const PLACE_CALL_TIMEOUT_MS = 10_000;

/**
 * The outbound calls API, as a Fastify plugin.
 *
 * `POST /api/calls/outbound` with `{ agent, to, from, provider?, context? }`: stores the call as
 * `ringing` (direction `outbound`, `context` for the templates), asks the provider to dial it
 * with our answer URL (Twilio, Vobiz: `/telephony/<provider>/inbound/<agent>?callId=…`; Exotel:
 * the stream URL itself) and status callback (`/telephony/<provider>/status?callId=…`, for
 * Exotel also `&sig=`, see `exotelStatusToken`), and
 * answers 201 with the call. Errors: 400 `invalid_body` (with `issues`); 404 `agent_not_found`;
 * 400 `invalid_context` (with `issues`) when `context` does not fit the agent's `variables`
 * (a required one missing, a wrong type, an undeclared name; see `context/variables.ts`);
 * 400 `no_provider` (none given, no default and not exactly one configured) or
 * `provider_not_configured` (its credentials are not set); 429 `concurrency_limit` (the call is
 * stored as `busy`); 502 `provider_error` when the provider refuses or cannot be reached (the
 * call is stored as `failed`).
 */
export function apiOutboundRoutes(deps: ApiOutboundDeps): FastifyPluginAsync {
  return async (app) => {
    app.post('/api/calls/outbound', async (request, reply) => {
      const body = bodySchema.safeParse(request.body);
      if (!body.success) {
        return sendInvalid(reply, 'invalid_body', 'Invalid outbound call', body.error);
      }
      const { agent: agentId, to, from, context } = body.data;
      const agent = await deps.agents.get(agentId);
      if (!agent) return sendApiError(reply, 404, 'agent_not_found', `No agent ${agentId}`);
      // Checked against the agent's variable schema, when it declares one.
      const contextProblems = contextIssues(agent.config.variables, context ?? {});
      if (contextProblems.length > 0) {
        return sendApiError(
          reply,
          400,
          'invalid_context',
          `Invalid context for agent ${agentId}`,
          contextProblems,
        );
      }
      const settings = await deps.settings.get();
      const provider = body.data.provider ?? defaultProvider(settings);
      if (!provider) {
        return sendApiError(reply, 400, 'no_provider', 'Name a provider, or set a default provider');
      }
      const control = callControlFor(provider, settings);
      if (!control) {
        return sendApiError(reply, 400, 'provider_not_configured', `${provider} credentials are not set`);
      }

      // Exotel streams the call as soon as it is answered, to the URL we give it now; Twilio
      // and Vobiz fetch our answer URL first, which issues the token (see `acceptCall`).
      const { token, hash } = newStreamToken();
      const call = await deps.calls.create({
        agentId: agent.id,
        provider,
        direction: 'outbound',
        status: 'ringing',
        from,
        to,
        context: context ?? {},
        ...(provider === 'exotel' ? { streamTokenHash: hash } : {}),
      });
      if (!deps.admission.tryAdmit(call.id, settings.maxConcurrentCalls, 'answer')) {
        await deps.calls.finish(call.id, { status: 'busy', endReason: OVER_LIMIT_REASON });
        return sendApiError(reply, 429, 'concurrency_limit', 'The concurrency limit is reached');
      }

      const origin = publicOrigin(request, deps.config);
      const query = `?callId=${call.id}`;
      // Exotel signs nothing: its callbacks prove themselves with a token of the call id.
      const statusQuery =
        provider === 'exotel' && settings.exotel.apiToken
          ? `${query}&sig=${exotelStatusToken(settings.exotel.apiToken, call.id)}`
          : query;
      const agentPath = encodeURIComponent(agent.id);
      const answerUrl =
        provider === 'exotel'
          ? exotelStreamUrl(origin, agent.id, { callId: call.id, token }, settings.exotel)
          : publicRequestUrl(origin, `/telephony/${provider}/inbound/${agentPath}${query}`);
      try {
        const placed = await control.placeCall(
          {
            to,
            from,
            answerUrl,
            statusCallbackUrl: publicRequestUrl(origin, `/telephony/${provider}/status${statusQuery}`),
          },
          AbortSignal.timeout(PLACE_CALL_TIMEOUT_MS),
        );
        await deps.calls.setProviderCallId(call.id, placed.providerCallId);
      } catch (error) {
        deps.admission.release(call.id);
        const message = error instanceof Error ? error.message : String(error);
        request.log.warn({ err: error, callId: call.id, provider }, 'placing an outbound call failed');
        await deps.calls.finish(call.id, { status: 'failed', endReason: 'provider_error' });
        if (!(error instanceof ProviderApiError) && !isAbort(error)) throw error;
        return sendApiError(reply, 502, 'provider_error', `${provider} did not place the call: ${message}`);
      }
      request.log.info({ callId: call.id, provider, agentId: agent.id }, 'outbound call placed');
      return reply.code(201).send(await deps.calls.get(call.id));
    });
  };
}

/** The provider for a request that names none: the default, else the only one with credentials. */
function defaultProvider(settings: TelephonySettings): ProviderName | undefined {
  if (settings.defaultProvider) return settings.defaultProvider;
  const configured = PROVIDERS.filter((p) => canPlaceCalls(settings, p));
  return configured.length === 1 ? configured[0] : undefined;
}

function isAbort(error: unknown): boolean {
  return error instanceof Error && (error.name === 'AbortError' || error.name === 'TimeoutError');
}
