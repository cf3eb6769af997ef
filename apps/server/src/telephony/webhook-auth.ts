/**
 * Checks that a webhook or stream upgrade comes from the provider, with the credentials in
 * the telephony settings (the Twilio token falls back to `TWILIO_AUTH_TOKEN`). A check passes
 * when the provider's credentials are not configured: set them in production.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import {
  publicRequestUrl,
  validateExotelBasicAuth,
  validateTwilioSignature,
  validateVobizSignature,
} from '@parley/telephony';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ServerConfig } from '../config/server-config.ts';
import { publicOrigin } from '../routes/public-url.ts';
import type { TelephonySettings } from './settings.ts';
import { twilioStreamUrl } from './stream-urls.ts';

/** How a request was authenticated: `verified` by the provider's credentials, or `unchecked` (none configured). */
export type AuthOutcome = 'verified' | 'unchecked' | 'refused';

/** The Twilio auth token in force: the settings', else `TWILIO_AUTH_TOKEN`. */
export function twilioAuthToken(settings: TelephonySettings, config: ServerConfig): string | undefined {
  return settings.twilio.authToken ?? config.twilioAuthToken;
}

/**
 * `X-Twilio-Signature` over the public URL (for a stream upgrade, its `wss://` form with no
 * parameters) and the form fields (https://www.twilio.com/docs/usage/security#validating-requests).
 */
export function checkTwilioRequest(
  request: FastifyRequest,
  settings: TelephonySettings,
  config: ServerConfig,
  kind: 'webhook' | 'stream',
): AuthOutcome {
  const authToken = twilioAuthToken(settings, config);
  if (!authToken) return 'unchecked';
  const origin = publicOrigin(request, config);
  // Twilio signs the upgrade with the stream URL of our TwiML.
  const url =
    kind === 'stream' ? twilioStreamUrl(origin, request.url) : publicRequestUrl(origin, request.url);
  const params = kind === 'webhook' && isFormRecord(request.body) ? request.body : {};
  const signature = request.headers['x-twilio-signature'];
  return validateTwilioSignature({ authToken, signature, url, params }) ? 'verified' : 'refused';
}

/** `X-Vobiz-Signature-V3` (or `-V2`) over the public URL (https://docs.vobiz.ai/concepts/validating-callbacks). */
export function checkVobizRequest(
  request: FastifyRequest,
  settings: TelephonySettings,
  config: ServerConfig,
): AuthOutcome {
  const authToken = settings.vobiz.authToken;
  if (!authToken) return 'unchecked';
  const url = publicRequestUrl(publicOrigin(request, config), request.url);
  return validateVobizSignature({ authToken, url, headers: request.headers }) ? 'verified' : 'refused';
}

/**
 * Exotel signs nothing: its requests and stream upgrades are checked against the IP allow-list
 * and/or the Basic credentials (API key and token) the applet URL embeds, when configured
 * (https://developer.exotel.com/docs/agentstream/stream-voicebot-applet).
 */
export function checkExotelRequest(request: FastifyRequest, settings: TelephonySettings): AuthOutcome {
  const { apiKey, apiToken, allowedIps } = settings.exotel;
  const checkIp = allowedIps !== undefined && allowedIps.length > 0;
  const checkBasic = Boolean(apiKey && apiToken);
  if (!checkIp && !checkBasic) return 'unchecked';
  if (checkIp && !allowedIps.includes(unmapIpv4(request.ip))) return 'refused';
  if (checkBasic) {
    const authorization = request.headers.authorization;
    if (!validateExotelBasicAuth({ apiKey: apiKey!, apiToken: apiToken!, authorization })) return 'refused';
  }
  return 'verified';
}

/**
 * The `sig` of the status callback URL of an Exotel call we placed: HMAC-SHA256 of the call id
 * keyed by the API token, 32 hex digits. Exotel's StatusCallback carries no credentials of its
 * own, so this lets {@link checkExotelStatusRequest} tell its callbacks from forgeries.
 */
export function exotelStatusToken(apiToken: string, callId: string): string {
  return createHmac('sha256', apiToken).update(`exotel-status:${callId}`).digest('hex').slice(0, 32);
}

/**
 * An Exotel status callback: as {@link checkExotelRequest}, except that the callback of a call
 * we placed may carry `callId` and its {@link exotelStatusToken} (`sig`) in the query instead of the
 * Basic credentials (the IP allow-list still applies).
 */
export function checkExotelStatusRequest(request: FastifyRequest, settings: TelephonySettings): AuthOutcome {
  const outcome = checkExotelRequest(request, settings);
  if (outcome !== 'refused') return outcome;
  const { apiToken, allowedIps } = settings.exotel;
  if (!apiToken) return outcome;
  if (allowedIps !== undefined && allowedIps.length > 0 && !allowedIps.includes(unmapIpv4(request.ip)))
    return outcome;
  const query: Record<string, unknown> = isFormRecord(request.query) ? request.query : {};
  const { callId, sig } = query;
  if (typeof callId !== 'string' || typeof sig !== 'string') return outcome;
  const expected = Buffer.from(exotelStatusToken(apiToken, callId));
  const given = Buffer.from(sig);
  return given.length === expected.length && timingSafeEqual(given, expected) ? 'verified' : 'refused';
}

/** Answers 403 `invalid_signature` for a refused request and logs it; returns whether it may go on. */
export function allowOrRefuse(reply: FastifyReply, outcome: AuthOutcome, provider: string): boolean {
  if (outcome !== 'refused') return true;
  const { request } = reply;
  request.log.warn(
    { provider, url: request.url, ip: request.ip },
    'refused an unauthenticated provider request',
  );
  void reply.code(403).send({
    error: { code: 'invalid_signature', message: `not an authenticated ${provider} request` },
  });
  return false;
}

/** `::ffff:1.2.3.4` (an IPv4 client on a dual-stack socket) as `1.2.3.4`. */
function unmapIpv4(ip: string): string {
  return ip.startsWith('::ffff:') && ip.includes('.') ? ip.slice(7) : ip;
}

/** A parsed form body: each field a string, or several strings for a repeated key. */
export function isFormRecord(v: unknown): v is Record<string, string | string[]> {
  return (
    typeof v === 'object' &&
    v !== null &&
    Object.values(v).every(
      (x) => typeof x === 'string' || (Array.isArray(x) && x.every((y) => typeof y === 'string')),
    )
  );
}
