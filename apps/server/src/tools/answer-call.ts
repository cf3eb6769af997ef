/**
 * Plays a provider's webhook against a Parley server, the way the provider does before it
 * opens the media stream, and returns where and how to connect the stream. Used by the demo
 * caller and the tests.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { ProviderName } from '@parley/telephony';
import twilio from 'twilio';
import type { CallSimulator } from './call-simulator.ts';
import { ExotelCallSimulator } from './exotel-call-simulator.ts';
import { TwilioCallSimulator } from './twilio-call-simulator.ts';
import { VobizCallSimulator } from './vobiz-call-simulator.ts';

/** The server's origins: `http://host:port` and `ws://host:port`. */
export interface ServerOrigins {
  readonly url: string;
  readonly wsUrl: string;
}

/** What a simulator needs to open the stream the webhook's answer describes. */
export interface AnsweredCall {
  /** The stream URL on the server's `ws://` origin, with the answer's path and query. */
  readonly url: string;
  /** Custom parameters the provider would put in `start` (Twilio `<Parameter>`s, Exotel query pairs). */
  readonly customParameters: Record<string, string>;
  /** The provider's call id the webhook carried. */
  readonly providerCallId: string;
  /** The answer, as received. */
  readonly body: string;
  /** Our call id, as the answer carries it to the stream. */
  readonly callId: string;
}

const hex = (bytes: number) => randomBytes(bytes).toString('hex');

/** POSTs Twilio's voice webhook; parses the `<Stream url>` and `<Parameter>`s of the TwiML. */
export async function answerTwilio(
  server: ServerOrigins,
  agent = 'demo',
  options: { callSid?: string; callId?: string; signWith?: { authToken: string; publicUrl: string } } = {},
): Promise<AnsweredCall> {
  const callSid = options.callSid ?? `CA${hex(16)}`;
  const pathAndQuery = `/telephony/twilio/inbound/${agent}${options.callId ? `?callId=${options.callId}` : ''}`;
  const form = { CallSid: callSid, AccountSid: `AC${hex(16)}`, From: '+15551230000', To: '+15557654321' };
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' };
  const sign = options.signWith;
  if (sign) {
    const url = `${sign.publicUrl}${pathAndQuery}`;
    headers['x-twilio-signature'] = twilio.getExpectedTwilioSignature(sign.authToken, url, form);
  }
  const res = await fetch(`${server.url}${pathAndQuery}`, {
    method: 'POST',
    headers,
    body: new URLSearchParams(form),
  });
  const body = await res.text();
  const url = /<Stream url="([^"]+)"/.exec(body)?.[1];
  if (!res.ok || !url) throw new Error(`Twilio webhook answered ${res.status}: ${body}`);
  const customParameters = Object.fromEntries(
    [...body.matchAll(/<Parameter name="([^"]+)" value="([^"]*)"\/>/g)].map((m) => [m[1]!, m[2]!]),
  );
  const callId = customParameters.callId ?? '';
  return { url: onServer(server, url), customParameters, providerCallId: callSid, body, callId };
}

/**
 * POSTs Vobiz's `answer_url`; the stream URL is the `<Stream>` element's text.
 *
 * @param options.callUuid - The `CallUUID` to send; default a random UUID.
 * @param options.headers - Extra request headers, e.g. a Vobiz signature.
 * @throws Error when the server answers non-2xx or without a `<Stream>`.
 */
export async function answerVobiz(
  server: ServerOrigins,
  agent = 'demo',
  options: { callUuid?: string; headers?: Record<string, string> } = {},
): Promise<AnsweredCall> {
  const callUuid = options.callUuid ?? randomUUID();
  const res = await fetch(`${server.url}/telephony/vobiz/inbound/${agent}`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...options.headers },
    body: new URLSearchParams({
      CallUUID: callUuid,
      From: '919876543210',
      To: '918047491899',
      Direction: 'inbound',
      CallStatus: 'ringing',
      Event: 'StartApp',
    }),
  });
  const body = await res.text();
  const url = /<Stream[^>]*>([^<]+)<\/Stream>/.exec(body)?.[1];
  if (!res.ok || !url) throw new Error(`Vobiz answer_url answered ${res.status}: ${body}`);
  const callId = new URL(url).pathname.split('/').at(-2) ?? ''; // /ws/vobiz/<agent>/<callId>/<token>
  return { url: onServer(server, url), customParameters: {}, providerCallId: callUuid, body, callId };
}

/** GETs the Exotel Voicebot applet's dynamic URL; the stream URL is the JSON's `url`, custom parameters in its query. */
export async function answerExotel(
  server: ServerOrigins,
  agent = 'demo',
  headers: Record<string, string> = {},
): Promise<AnsweredCall> {
  const callSid = hex(16);
  const query = new URLSearchParams({ CallSid: callSid, CallFrom: '09876543210', CallTo: '08047491899' });
  const res = await fetch(`${server.url}/telephony/exotel/inbound/${agent}?${query}`, { headers });
  const body = await res.text();
  if (!res.ok) throw new Error(`Exotel dynamic URL answered ${res.status}: ${body}`);
  const streamUrl = new URL((JSON.parse(body) as { url: string }).url);
  const customParameters = Object.fromEntries(
    [...streamUrl.searchParams].filter(([k]) => k !== 'sample-rate'),
  );
  const callId = customParameters.callId ?? '';
  return {
    url: onServer(server, streamUrl.toString()),
    customParameters,
    providerCallId: callSid,
    body,
    callId,
  };
}

/** The same path and query on the server's `ws://` origin (answers name the public `wss://` host). */
function onServer(server: ServerOrigins, url: string): string {
  const u = new URL(url);
  return `${server.wsUrl}${u.pathname}${u.search}`;
}

/** A Twilio caller for the stream the voice webhook's TwiML gave (not connected yet). */
export function twilioCaller(answered: AnsweredCall): TwilioCallSimulator {
  return new TwilioCallSimulator({
    url: answered.url,
    customParameters: answered.customParameters,
    callSid: answered.providerCallId,
  });
}

/** A Twilio caller whose call was answered by the server's webhook first, as Twilio does it (not connected yet). */
export async function dialTwilio(server: ServerOrigins, agent = 'demo'): Promise<TwilioCallSimulator> {
  return twilioCaller(await answerTwilio(server, agent));
}

/** An Exotel caller for the stream the dynamic URL's answer gave (not connected yet). */
export function exotelCaller(answered: AnsweredCall): ExotelCallSimulator {
  return new ExotelCallSimulator({
    url: answered.url,
    customParameters: answered.customParameters,
    callSid: answered.providerCallId,
  });
}

/** An Exotel caller whose call was answered by the Voicebot applet's dynamic URL first (not connected yet). */
export async function dialExotel(server: ServerOrigins, agent = 'demo'): Promise<ExotelCallSimulator> {
  return exotelCaller(await answerExotel(server, agent));
}

/** A Vobiz caller for the stream the `answer_url`'s XML gave (not connected yet). */
export function vobizCaller(answered: AnsweredCall): VobizCallSimulator {
  return new VobizCallSimulator({ url: answered.url, callId: answered.providerCallId });
}

/** A Vobiz caller whose call was answered by the server's `answer_url` first (not connected yet). */
export async function dialVobiz(server: ServerOrigins, agent = 'demo'): Promise<VobizCallSimulator> {
  return vobizCaller(await answerVobiz(server, agent));
}

/** A caller of `provider` (not connected yet), answered by the server's webhook first, and our id of its call. */
export async function dial(
  provider: ProviderName,
  server: ServerOrigins,
  agent = 'demo',
): Promise<{ sim: CallSimulator; callId: string }> {
  switch (provider) {
    case 'twilio': {
      const answered = await answerTwilio(server, agent);
      return { sim: twilioCaller(answered), callId: answered.callId };
    }
    case 'exotel': {
      const answered = await answerExotel(server, agent);
      return { sim: exotelCaller(answered), callId: answered.callId };
    }
    case 'vobiz': {
      const answered = await answerVobiz(server, agent);
      return { sim: vobizCaller(answered), callId: answered.callId };
    }
  }
}
