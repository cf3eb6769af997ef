/**
 * What the providers' call webhooks share: accepting an announced call (with its log lines and
 * apologies) and the status callback route.
 */
import { type CallStatusUpdate, type ProviderName, ProviderProtocolError } from '@parley/telephony';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { type AcceptCallResult, acceptCall, type CallAnnouncement } from '../telephony/inbound.ts';
import type { TelephonySettings } from '../telephony/settings.ts';
import { applyCallStatus } from '../telephony/status.ts';
import { type AuthOutcome, allowOrRefuse } from '../telephony/webhook-auth.ts';
import { callIdQuery, type TelephonyRouteDeps } from './telephony-deps.ts';

/** A call the server will not take, and why. */
export type RefusedOutcome = Exclude<AcceptCallResult['outcome'], 'accepted'>;

/**
 * What callers hear when their call is refused, by reason. A `duplicate` webhook gets no
 * apology: it is not a new call (each provider refuses it in its own way, see the routes).
 */
export const APOLOGIES: Readonly<Record<Exclude<RefusedOutcome, 'duplicate'>, string>> = {
  unknown_agent: 'Sorry, this number is not connected to an agent. Goodbye.',
  unknown_call: 'Sorry, this call can no longer be connected. Goodbye.',
  busy: 'Sorry, all our agents are busy right now. Please call again later. Goodbye.',
};

const REFUSAL_LOGS: Readonly<Record<RefusedOutcome, string>> = {
  unknown_agent: 'inbound call for an unknown agent',
  unknown_call: 'webhook for an unknown or ended call',
  busy: 'call refused: concurrency limit',
  duplicate: 'webhook refused: the call has its stream token already, is streaming or has ended',
};

/**
 * Accepts the announced call (see `acceptCall`), logs what became of it (a refusal as a
 * warning; a `duplicate` is also counted), and answers with `answer.accepted` (the provider's
 * stream answer) or `answer.refused`.
 */
export async function acceptAndAnswer<T>(
  request: FastifyRequest,
  deps: TelephonyRouteDeps,
  announcement: CallAnnouncement,
  answer: {
    readonly accepted: (result: Extract<AcceptCallResult, { outcome: 'accepted' }>) => T;
    readonly refused: (outcome: RefusedOutcome) => T;
  },
): Promise<T> {
  const result = await acceptCall(deps, announcement);
  const log = {
    provider: announcement.provider,
    agentId: announcement.agentId,
    providerCallId: announcement.providerCallId,
    callId: 'call' in result ? result.call.id : announcement.callId,
  };
  if (result.outcome === 'accepted') {
    request.log.info(log, 'answering call');
    return answer.accepted(result);
  }
  if (result.outcome === 'duplicate') deps.refusals.count('duplicate_webhook');
  request.log.warn(log, REFUSAL_LOGS[result.outcome]);
  return answer.refused(result.outcome);
}

/**
 * `POST /telephony/<provider>/status[?callId=]`: checks the request with `authenticate`, reads
 * the callback with `parse` and applies it (see `applyCallStatus`); 204, or 400
 * `invalid_webhook` for a malformed callback.
 */
export function statusCallbackRoute(
  app: FastifyInstance,
  deps: TelephonyRouteDeps,
  provider: ProviderName,
  options: {
    readonly authenticate: (request: FastifyRequest, settings: TelephonySettings) => AuthOutcome;
    readonly parse: (form: Record<string, string>) => CallStatusUpdate | undefined;
  },
): void {
  app.post(`/telephony/${provider}/status`, async (request, reply) => {
    const settings = await deps.settings.get();
    if (!allowOrRefuse(reply, options.authenticate(request, settings), provider)) return reply;
    const { callId } = callIdQuery.parse(request.query);
    let update: CallStatusUpdate | undefined;
    try {
      update = options.parse(formOf(request.body));
    } catch (error) {
      if (!(error instanceof ProviderProtocolError)) throw error;
      return reply.code(400).send({ error: { code: 'invalid_webhook', message: error.message } });
    }
    if (update) await applyCallStatus(deps, provider, update, callId);
    return reply.code(204).send();
  });
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
