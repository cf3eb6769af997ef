/**
 * Accepting a call announced by a provider's webhook (an inbound call, or the answer of an
 * outbound call we placed): find or create its row, give its media stream its one-time token,
 * and apply the concurrency limit.
 */
import type { ProviderName, TransportName } from '@parley/telephony';
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
  readonly provider: TransportName;
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
  /** `callId` named a call that does not exist, or belongs to another provider or agent. */
  | { readonly outcome: 'unknown_call' }
  /**
   * The call has its stream token already, is streaming, or has ended (a provider's retry, or
   * a replayed or forged webhook): no new token, nothing changed.
   */
  | { readonly outcome: 'duplicate'; readonly call: Call }
  /** Over the concurrency limit: the call is stored as `busy`. */
  | { readonly outcome: 'busy'; readonly call: Call }
  /** Answer with a stream that carries `callId` and `token`. */
  | { readonly outcome: 'accepted'; readonly call: Call; readonly agent: Agent; readonly token: string };

/** Reason stored on calls refused by the concurrency limit. */
export const OVER_LIMIT_REASON = 'concurrency_limit';

/**
 * Finds the announced call (by our id, else by the provider's) or creates it as `ringing`,
 * and gives it its one-time stream token. A call gets one token in its life: a webhook for a
 * call that has one, is streaming or has ended is a `duplicate` and changes nothing (so a
 * replayed webhook cannot attach a second stream to a live call). A call over the concurrency
 * limit is stored as `busy` with end reason {@link OVER_LIMIT_REASON}.
 */
export async function acceptCall(deps: AcceptCallDeps, a: CallAnnouncement): Promise<AcceptCallResult> {
  const agent = await deps.agents.get(a.agentId);
  if (!agent) return { outcome: 'unknown_agent' };
  const { token, hash } = newStreamToken();
  let call: Call | undefined;
  if (a.callId !== undefined) {
    call = await deps.calls.get(a.callId);
    if (!call || call.provider !== a.provider || call.agentId !== agent.id)
      return { outcome: 'unknown_call' };
  } else if (a.providerCallId !== undefined) {
    call = await deps.calls.findByProviderCallId(a.provider, a.providerCallId);
  }
  if (call) {
    const issued = await deps.calls.issueStreamToken(call.id, {
      streamTokenHash: hash,
      ...(a.providerCallId === undefined ? {} : { providerCallId: a.providerCallId }),
    });
    if (!issued) return { outcome: 'duplicate', call };
    call = issued;
  } else {
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
        streamTokenHash: hash,
      });
    } catch (error) {
      // Two deliveries of the same webhook raced: the other one made the call and its token.
      if (!(error instanceof DuplicateCallError)) throw error;
      const other = await deps.calls.findByProviderCallId(
        error.provider as ProviderName,
        error.providerCallId,
      );
      if (!other) throw error;
      return { outcome: 'duplicate', call: other };
    }
  }
  const { maxConcurrentCalls } = await deps.settings.get();
  if (!deps.admission.tryAdmit(call.id, maxConcurrentCalls)) {
    // The token dies with the call: a stream can only claim a live call's.
    await deps.calls.finish(call.id, { status: 'busy', endReason: OVER_LIMIT_REASON });
    return { outcome: 'busy', call };
  }
  return { outcome: 'accepted', call, agent, token };
}
