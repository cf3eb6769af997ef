/**
 * The REST clients (placing and hanging up calls) of the providers whose credentials are set.
 */
import {
  type CallControl,
  ExotelCallControl,
  type ProviderName,
  TwilioCallControl,
  VobizCallControl,
} from '@parley/telephony';
import type { FastifyBaseLogger } from 'fastify';
import type { Call } from '../db/call-types.ts';
import type { TelephonySettingsRepository } from '../db/telephony-settings.ts';
import { canPlaceCalls, type ProviderSettings } from './settings.ts';

/** How long a hang-up request may take, ms. */
const HANGUP_TIMEOUT_MS = 5000;

/** `provider`'s REST client, or `undefined` when its credentials are not set. */
export function callControlFor(provider: ProviderName, settings: ProviderSettings): CallControl | undefined {
  if (!canPlaceCalls(settings, provider)) return undefined;
  switch (provider) {
    case 'twilio': {
      const { accountSid, authToken, apiBaseUrl } = settings.twilio;
      return new TwilioCallControl({ accountSid: accountSid!, authToken: authToken!, apiBaseUrl });
    }
    case 'exotel': {
      const { accountSid, apiKey, apiToken, apiBaseUrl } = settings.exotel;
      return new ExotelCallControl({
        accountSid: accountSid!,
        apiKey: apiKey!,
        apiToken: apiToken!,
        apiBaseUrl,
      });
    }
    case 'vobiz': {
      const { authId, authToken, apiBaseUrl } = settings.vobiz;
      return new VobizCallControl({ authId: authId!, authToken: authToken!, apiBaseUrl });
    }
  }
}

/**
 * A `hangUpCall` for media streams: asks the call's provider to end it, when the provider has
 * a hang-up request and its credentials are set. "Already ended" is not a failure; failures
 * are logged, never thrown (closing the stream ends the call too where nothing follows it).
 */
export function providerHangUp(
  settings: TelephonySettingsRepository,
  logger: FastifyBaseLogger,
): (call: Call) => Promise<void> {
  return async (call) => {
    // A browser test call has no provider: closing its stream ends it.
    if (!call.providerCallId || call.provider === 'browser') return;
    try {
      const control = callControlFor(call.provider, await settings.get());
      if (!control) return;
      const result = await control.hangUp(call.providerCallId, AbortSignal.timeout(HANGUP_TIMEOUT_MS));
      logger.info({ callId: call.id, provider: call.provider, result }, 'hung up through the provider');
    } catch (err) {
      logger.warn({ err, callId: call.id, provider: call.provider }, 'provider hang-up failed');
    }
  };
}
