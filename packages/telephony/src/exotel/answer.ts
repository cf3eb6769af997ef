import { parseAbsoluteUrl } from '../absolute-url.ts';
import { type ExotelSampleRateHz, isExotelSampleRate } from './sample-rate.ts';

/** Most custom parameters Exotel passes on a stream URL. */
const MAX_CUSTOM_PARAMETERS = 3;
/** Longest query text of the custom parameters, characters. */
const MAX_CUSTOM_PARAMETER_CHARS = 256;

/** Options of {@link voicebotUrlAnswer}. */
export interface VoicebotUrlAnswerOptions {
  /**
   * Absolute `wss://` (or `ws://`, for local tests) URL of our WebSocket, e.g.
   * `wss://voice.example.com/ws/exotel/support-bot`. A query string of its own is kept.
   */
  readonly url: string;
  /** Adds `sample-rate=<Hz>`; Exotel streams at 8000 Hz when it is absent. */
  readonly sampleRateHz?: ExotelSampleRateHz;
  /**
   * Up to 3 custom parameters, appended to the query string (at most 256 characters once
   * encoded); Exotel passes them on in `start.custom_parameters` (the serializer's
   * `customParameters`) and they are in the upgrade request's query string.
   */
  readonly customParameters?: Readonly<Record<string, string>>;
  /**
   * Basic-auth credentials for the upgrade, embedded as `wss://<apiKey>:<apiToken>@host/…`;
   * Exotel sends them as `Authorization: Basic base64(apiKey:apiToken)` (check it with
   * `validateExotelBasicAuth`).
   */
  readonly credentials?: { readonly apiKey: string; readonly apiToken: string };
}

/**
 * The WebSocket URL for Exotel to stream a call to, with the stream's sample rate, custom
 * parameters and Basic credentials: what a Voicebot applet's URL, its dynamic URL's answer
 * ({@link voicebotUrlAnswer}) or an outbound call's `StreamUrl` (Connect Voice AI) holds, e.g.
 * `wss://key:token@voice.example.com/ws/exotel/support-bot?sample-rate=16000&agentId=support-bot`.
 *
 * Source: https://developer.exotel.com/docs/agentstream/stream-voicebot-applet (URL; Basic auth
 * in the URL; `?sample-rate=`; up to 3 custom parameters, 256 characters).
 *
 * @throws TypeError as {@link voicebotUrlAnswer} does.
 */
export function voicebotStreamUrl(options: VoicebotUrlAnswerOptions): string {
  const { sampleRateHz, customParameters = {}, credentials } = options;
  const url = parseAbsoluteUrl(options.url, 'url', ['wss:', 'ws:']);
  if (url.username !== '' || url.password !== '') {
    throw new TypeError('url must not carry credentials; pass them as credentials');
  }
  const entries = Object.entries(customParameters);
  if (entries.length > MAX_CUSTOM_PARAMETERS) {
    throw new TypeError(
      `Exotel passes at most ${MAX_CUSTOM_PARAMETERS} custom parameters, got ${entries.length}`,
    );
  }
  const custom = new URLSearchParams();
  for (const [key, value] of entries) {
    if (key === '' || key === 'sample-rate')
      throw new TypeError(`custom parameter name ${JSON.stringify(key)} is not allowed`);
    custom.append(key, value);
  }
  if (custom.toString().length > MAX_CUSTOM_PARAMETER_CHARS) {
    throw new TypeError(`custom parameters are over ${MAX_CUSTOM_PARAMETER_CHARS} characters once encoded`);
  }
  if (sampleRateHz !== undefined) {
    if (!isExotelSampleRate(sampleRateHz))
      throw new TypeError(`sampleRateHz ${sampleRateHz} is not 8000, 16000 or 24000`);
    url.searchParams.set('sample-rate', String(sampleRateHz));
  }
  for (const [key, value] of custom) url.searchParams.append(key, value);
  if (credentials !== undefined) {
    const { apiKey, apiToken } = credentials;
    if (apiKey === '' || apiToken === '') throw new TypeError('Exotel credentials must not be empty');
    if (apiKey.includes(':')) throw new TypeError('the API key must not hold ":" (Basic auth splits on it)');
    url.username = apiKey; // the setters percent-encode
    url.password = apiToken;
  }
  return url.toString();
}

/**
 * The answer of the HTTP(S) endpoint configured as a Voicebot applet's URL (its "dynamic"
 * form): JSON `{"url":"wss://…"}`, the WebSocket Exotel then streams the call to. Lets one call
 * flow pick the agent and pass per-call parameters.
 *
 * Exotel's documentation says only that such an endpoint must return the wss URL; what Exotel
 * sends it (method, call parameters) and whether it takes custom parameters from a returned
 * URL as it does from a configured one are not documented.
 *
 * Sources: https://developer.exotel.com/docs/agentstream/stream-voicebot-applet (URL, static or
 * dynamic; Basic auth in the URL; `?sample-rate=`; up to 3 custom parameters, 256 characters),
 * https://docs.exotel.com/exotel-agentstream/voicebot-applet.
 *
 * @returns The JSON text, to answer with `Content-Type: application/json`, e.g.
 *   `{"url":"wss://voice.example.com/ws/exotel/support-bot?sample-rate=16000&agentId=support-bot"}`.
 * @throws TypeError when `url` is not an absolute ws(s) URL without fragment, or holds
 *   whitespace; when there are more than 3 custom parameters, one has an empty name or is named
 *   `sample-rate`, or together they are over 256 characters; when `sampleRateHz` is not 8000,
 *   16000 or 24000; when a credential is empty or the API key holds `:`.
 */
export function voicebotUrlAnswer(options: VoicebotUrlAnswerOptions): string {
  return JSON.stringify({ url: voicebotStreamUrl(options) });
}
