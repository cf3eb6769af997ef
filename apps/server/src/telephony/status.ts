/**
 * Applies a provider's call status callback to the call's row.
 */
import type { CallStatusUpdate } from '@parley/telephony';
import type { FastifyBaseLogger } from 'fastify';
import type { CallSession } from '../calls/call-session.ts';
import type { Call, TelephonyProvider } from '../db/call-types.ts';
import type { CallRepository } from '../db/calls.ts';
import type { CallAdmission } from './admission.ts';

/** What {@link applyCallStatus} needs. */
export interface CallStatusDeps {
  readonly calls: CallRepository;
  readonly active: ReadonlyMap<string, CallSession>;
  readonly admission: CallAdmission;
  readonly logger: FastifyBaseLogger;
}

/**
 * Moves the call forward: `ringing`/`in_progress` as reported (never backwards); a final status
 * ends a call that has no live media session (an outbound call that was busy, not answered,
 * failed or canceled, or a call whose stream never came). A call with a live session is ended
 * by its session, which stores its transcript and recording.
 *
 * @param callId Our call id when the callback URL carries it (calls we placed), else the call
 *   is found by the provider's id.
 * @returns The call, or `undefined` when it is unknown (logged).
 */
export async function applyCallStatus(
  deps: CallStatusDeps,
  provider: TelephonyProvider,
  update: CallStatusUpdate,
  callId: string | undefined,
): Promise<Call | undefined> {
  const call =
    (callId === undefined ? undefined : await deps.calls.get(callId)) ??
    (await deps.calls.findByProviderCallId(provider, update.providerCallId));
  if (!call || call.provider !== provider) {
    deps.logger.warn(
      { provider, providerCallId: update.providerCallId, callId },
      'status of an unknown call',
    );
    return undefined;
  }
  if (call.providerCallId === null) await deps.calls.setProviderCallId(call.id, update.providerCallId);
  const { status } = update;
  if (status === 'ringing' || status === 'in_progress') {
    await deps.calls.updateStatus(call.id, status);
  } else if (!deps.active.has(call.id)) {
    deps.admission.release(call.id);
    await deps.calls.finish(call.id, {
      status,
      endReason: `provider_${status}`,
      ...(update.durationSecs !== undefined && status === 'completed'
        ? { durationMs: update.durationSecs * 1000 }
        : {}),
    });
  }
  deps.logger.info({ callId: call.id, provider, status }, 'call status');
  return call;
}
