/**
 * Transferring a live call through its provider (the built-in `transfer_call`), and the
 * ownership of the URL Vobiz fetches a transfer's XML from.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { ProviderApiError, publicRequestUrl, type TransferResult } from '@parley/telephony';
import type { FastifyBaseLogger } from 'fastify';
import type { TransferOutcome } from '../calls/tools/builtin-tools.ts';
import type { ServerConfig } from '../config/server-config.ts';
import type { Call } from '../db/call-types.ts';
import type { TelephonySettingsRepository } from '../db/telephony-settings.ts';
import { callControlFor } from './call-controls.ts';

/** Longest wait for the provider to accept a transfer, ms. */
const PROVIDER_TIMEOUT_MS = 10_000;

/** Where to transfer a call: a destination of the agent's `transfer` settings. */
export interface CallTransferTarget {
  /** The destination's name (it is part of the Vobiz XML URL). */
  readonly destination: string;
  /** The number to dial, E.164. */
  readonly to: string;
  /** The caller ID the destination sees, E.164; default: the provider's. */
  readonly callerId?: string | undefined;
}

/** Transfers `call` to `target` through its provider; resolves how it went, never rejects but with the signal's reason. */
export type CallTransferrer = (
  call: Call,
  target: CallTransferTarget,
  signal: AbortSignal,
) => Promise<TransferOutcome>;

/** Why each non-transfer result is a failure, for the LLM and the call's events. */
const NOT_TRANSFERRED: Readonly<Record<Exclude<TransferResult, 'transferred'>, string>> = {
  already_ended: 'the call has already ended',
  not_supported: 'this provider cannot transfer a call in progress',
};

/**
 * The server's {@link CallTransferrer}: asks the call's provider (with the credentials in the
 * telephony settings) to connect the caller to `target.to`. Vobiz fetches the dial's XML from
 * `POST /telephony/vobiz/transfer/:callId/:destination/:token` on `PUBLIC_URL`, which must be
 * set. Failures are logged and resolved as `{ ok: false, error }`; an abort rejects with the
 * signal's reason.
 */
export function providerTransfer(
  settings: TelephonySettingsRepository,
  config: Pick<ServerConfig, 'publicUrl'>,
  logger: FastifyBaseLogger,
): CallTransferrer {
  return async (call, target, signal) => {
    const log = { callId: call.id, provider: call.provider, destination: target.destination };
    const refuse = (error: string): TransferOutcome => {
      logger.warn({ ...log, error }, 'call transfer failed');
      return { ok: false, error };
    };
    if (!call.providerCallId || call.provider === 'browser')
      return refuse('a call without a telephony provider cannot be transferred');
    const current = await settings.get();
    const control = callControlFor(call.provider, current);
    if (!control) return refuse(`the ${call.provider} credentials are not set`);
    let instructionsUrl: string | undefined;
    if (call.provider === 'vobiz') {
      if (!config.publicUrl) return refuse('PUBLIC_URL is not set (Vobiz fetches the transfer from it)');
      const token = vobizTransferToken(current.vobiz.authToken!, call.id, target.destination);
      const path = ['telephony', 'vobiz', 'transfer', call.id, target.destination, token]
        .map(encodeURIComponent)
        .join('/');
      instructionsUrl = publicRequestUrl(config.publicUrl, `/${path}`);
    }
    try {
      const result = await control.transfer(
        call.providerCallId,
        {
          to: target.to,
          ...(target.callerId === undefined ? {} : { callerId: target.callerId }),
          ...(instructionsUrl === undefined ? {} : { instructionsUrl }),
        },
        AbortSignal.any([signal, AbortSignal.timeout(PROVIDER_TIMEOUT_MS)]),
      );
      if (result !== 'transferred') return refuse(NOT_TRANSFERRED[result]);
      logger.info(log, 'call transferred through the provider');
      return { ok: true };
    } catch (error) {
      if (signal.aborted) throw signal.reason;
      // A ProviderApiError's message holds no credentials; a TypeError is a refused number or URL.
      if (error instanceof ProviderApiError || error instanceof TypeError) return refuse(error.message);
      if (error instanceof DOMException && error.name === 'TimeoutError')
        return refuse(`${call.provider} did not answer within ${PROVIDER_TIMEOUT_MS / 1000} s`);
      throw error;
    }
  };
}

/**
 * The `:token` of a Vobiz transfer's XML URL: HMAC-SHA256 of the call id and the destination's
 * name keyed by the Vobiz auth token, 32 hex digits. It ties the URL to the transfer this server
 * asked for, beside the `X-Vobiz-Signature-V3` that proves Vobiz sent the request.
 */
export function vobizTransferToken(authToken: string, callId: string, destination: string): string {
  return createHmac('sha256', authToken)
    .update(`vobiz-transfer:${callId}:${destination}`)
    .digest('hex')
    .slice(0, 32);
}

/** Whether `token` is the {@link vobizTransferToken} of the call and destination (compared in constant time). */
export function isVobizTransferToken(
  authToken: string,
  callId: string,
  destination: string,
  token: string,
): boolean {
  const expected = Buffer.from(vobizTransferToken(authToken, callId, destination));
  const given = Buffer.from(token);
  return given.length === expected.length && timingSafeEqual(given, expected);
}
