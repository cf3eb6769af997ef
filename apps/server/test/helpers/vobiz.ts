/**
 * Vobiz's side of a call for the stream tests: a signed `answer_url` request and the caller's
 * audio as `media` messages.
 */
import { randomUUID } from 'node:crypto';
import { pcmToMulaw } from '@parley/pipeline';
import type { Message } from './replay.ts';
import type { TestServer } from './server.ts';
import { vobizSignatureHeaders } from './telephony.ts';

/** What the server's `<Stream>` answer gave the call. */
export interface VobizAnswer {
  readonly status: number;
  readonly contentType: string;
  readonly body: string;
  /** The stream URL on the test server (`ws://127.0.0.1:PORT/ws/vobiz/:agent/:callId/:token`). */
  readonly url: string;
  /** Parley's call id, from the stream URL's path. */
  readonly callId: string;
  readonly callUuid: string;
}

/**
 * POSTs Vobiz's `answer_url` for `agent`, signed with `authToken` when given (or with the
 * given headers), and reads the stream URL from the `<Stream>` element.
 * @throws Error when the answer has no `<Stream>`.
 */
export async function answerVobizCall(
  server: TestServer,
  agent: string,
  options: { callUuid?: string; authToken?: string; headers?: Record<string, string> } = {},
): Promise<VobizAnswer> {
  const callUuid = options.callUuid ?? randomUUID();
  const url = `${server.url}/telephony/vobiz/inbound/${agent}`;
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' };
  if (options.authToken) Object.assign(headers, vobizSignatureHeaders(options.authToken, url));
  const res = await fetch(url, {
    method: 'POST',
    headers: { ...headers, ...options.headers },
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
  const streamUrl = /<Stream[^>]*>([^<]+)<\/Stream>/.exec(body)?.[1];
  if (!streamUrl) throw new Error(`Vobiz answer_url answered ${res.status}: ${body}`);
  const { pathname } = new URL(streamUrl);
  return {
    status: res.status,
    contentType: res.headers.get('content-type') ?? '',
    body,
    url: `${server.wsUrl}${pathname}`,
    callId: decodeURIComponent(pathname.split('/')[4] ?? ''),
    callUuid,
  };
}

/** 20 ms at 8 kHz: one Vobiz `media` frame. */
export const VOBIZ_FRAME_SAMPLES = 160;
export const VOBIZ_FRAME_MS = 20;

/** The caller's 8 kHz audio as Vobiz µ-law `media` messages of 20 ms (the last zero-padded). */
export function vobizMediaFrames(pcm: Int16Array, streamId: string): Message[] {
  const frames: Message[] = [];
  for (let i = 0; i * VOBIZ_FRAME_SAMPLES < pcm.length; i++) {
    const frame = new Int16Array(VOBIZ_FRAME_SAMPLES);
    frame.set(pcm.subarray(i * VOBIZ_FRAME_SAMPLES, (i + 1) * VOBIZ_FRAME_SAMPLES));
    frames.push({
      event: 'media',
      sequenceNumber: 100 + i,
      streamId,
      media: {
        track: 'inbound',
        timestamp: String(Date.now()),
        chunk: 100 + i,
        payload: Buffer.from(pcmToMulaw(frame)).toString('base64'),
      },
    });
  }
  return frames;
}
