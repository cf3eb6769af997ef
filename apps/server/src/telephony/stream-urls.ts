/**
 * The media stream URLs our answers give the providers, built in one place so the answers, the
 * outbound calls and the Twilio signature check agree.
 */
import { publicRequestUrl, voicebotStreamUrl } from '@parley/telephony';
import type { ExotelSettings } from './settings.ts';

/**
 * `wss://<host>/ws/twilio/<agent>` (or `/ws/twilio/<agent>` as `pathAndQuery`, for an upgrade's
 * signature): always `wss`, as Twilio only streams to TLS (usually ended by a proxy in front of us).
 */
export function twilioStreamUrl(publicOrigin: string, pathAndQuery: string): string {
  return publicRequestUrl(publicOrigin, pathAndQuery, { websocket: true }).replace(/^ws:/, 'wss:');
}

/** `/ws/twilio/<agent>`. */
export function twilioStreamPath(agentId: string): string {
  return `/ws/twilio/${encodeURIComponent(agentId)}`;
}

/**
 * `wss://[key:token@]<host>/ws/exotel/<agent>?callId=…&token=…`: where Exotel streams a call we
 * accepted (the Voicebot applet's dynamic answer) or placed (Connect Voice AI's `StreamUrl`), with
 * the Basic credentials when the API key and token are set.
 */
export function exotelStreamUrl(
  publicOrigin: string,
  agentId: string,
  stream: { readonly callId: string; readonly token: string },
  settings: ExotelSettings,
): string {
  const { apiKey, apiToken } = settings;
  return voicebotStreamUrl({
    url: publicRequestUrl(publicOrigin, `/ws/exotel/${encodeURIComponent(agentId)}`, { websocket: true }),
    customParameters: { callId: stream.callId, token: stream.token },
    ...(apiKey && apiToken ? { credentials: { apiKey, apiToken } } : {}),
  });
}
