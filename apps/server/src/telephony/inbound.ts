/**
 * Accepting a call announced by a provider's webhook (an inbound call, or the answer of an
 * outbound call we placed): find or create its row, apply the concurrency limit, and give its
 * media stream a one-time token.
 */
import type { ProviderName } from '@parley/telephony';
import type { Agent, AgentRepository } from '../db/agents.ts';
import type { Call, CallDirection } from '../db/call-types.ts';
import type { CallRepository } from '../db/calls.ts';
import { DuplicateCallError } from '../db/errors.ts';
import type { TelephonySettingsRepository } from '../db/telephony-settings.ts';
import type { CallAdmission } from './admission.ts';
import { newStreamToken } from './stream-token.ts';

/** What {@link acceptCall} needs. */
export interface AcceptCallDeps {
  readonly agents: AgentRepository;
  readonly calls: CallRepository;
  readonly settings: TelephonySettingsRepository;
  readonly admission: CallAdmission;
}

/** The webhook's facts about the call. */
export interface CallAnnouncement {
  readonly provider: ProviderName;
  readonly agentId: string;
  /** The provider's call id (Twilio CallSid, Vobiz CallUUID, Exotel CallSid), when the webhook gives it. */
  readonly providerCallId: string | undefined;
  /** Our call id, when we placed the call (carried in the answer URL's query). */
  readonly callId?: string | undefined;
  readonly direction: CallDirection;
  readonly from?: string | undefined;
  readonly to?: string | undefined;
  /** Provider fields kept on a new call row. */
  readonly metadata?: Record<string, unknown>;
}

/** What became of the call. */
export type AcceptCallResult =
  | { readonly outcome: 'unknown_agent' }
  /** `callId` named a call that does not exist, has ended, or belongs to another provider or agent. */
  | { readonly outcome: 'unknown_call' }
  /** Over the concurrency limit: the call is stored as `busy`. */
  | { readonly outcome: 'busy'; readonly call: Call }
  /** Answer with a stream that carries `callId` and `token`. */
  | { readonly outcome: 'accepted'; readonly call: Call; readonly agent: Agent; readonly token: string };

/** Reason stored on calls refused by the concurrency limit. */
export const OVER_LIMIT_REASON = 'concurrency_limit';

/**
 * Finds the announced call (by our id, else by the provider's, for webhook retries) or creates
 * it as `ringing`, then gives it a fresh stream token. A new call over the concurrency limit is
 * stored as `busy` with end reason {@link OVER_LIMIT_REASON}.
 */
export async function acceptCall(deps: AcceptCallDeps, a: CallAnnouncement): Promise<AcceptCallResult> {
  const agent = await deps.agents.get(a.agentId);
  if (!agent) return { outcome: 'unknown_agent' };
  let call: Call | undefined;
  if (a.callId !== undefined) {
    call = await deps.calls.get(a.callId);
    if (!call || call.provider !== a.provider || call.agentId !== agent.id)
      return { outcome: 'unknown_call' };
  } else if (a.providerCallId !== undefined) {
    call = await deps.calls.findByProviderCallId(a.provider, a.providerCallId);
  }
  if (!call) {
    try {
      call = await deps.calls.create({
        agentId: agent.id,
        provider: a.provider,
        direction: a.direction,
        status: 'ringing',
        from: a.from ?? null,
        to: a.to ?? null,
        providerCallId: a.providerCallId ?? null,
        providerMetadata: a.metadata ?? {},
      });
    } catch (error) {
      // Two deliveries of the same webhook raced: use the row the other one made.
      if (!(error instanceof DuplicateCallError)) throw error;
      call = await deps.calls.findByProviderCallId(error.provider as ProviderName, error.providerCallId);
      if (!call) throw error;
    }
  }
  const { maxConcurrentCalls } = await deps.settings.get();
  if (!deps.admission.tryAdmit(call.id, maxConcurrentCalls)) {
    await deps.calls.finish(call.id, { status: 'busy', endReason: OVER_LIMIT_REASON });
    return { outcome: 'busy', call };
  }
  const { token, hash } = newStreamToken();
  const prepared = await deps.calls.prepareStream(call.id, {
    streamTokenHash: hash,
    ...(a.providerCallId === undefined ? {} : { providerCallId: a.providerCallId }),
  });
  if (!prepared) {
    deps.admission.release(call.id); // no stream will come
    return { outcome: 'unknown_call' };
  }
  return { outcome: 'accepted', call: prepared, agent, token };
}
