/**
 * Vobiz's side of a call for the stream tests: a signed `answer_url` request and the caller's
 * audio as `media` messages.
 */
import { pcmToMulaw } from '@parley/pipeline';
import { answerVobiz } from './answer.ts';
import type { Message } from './replay.ts';
import type { TestServer } from './server.ts';
import { vobizSignatureHeaders } from './telephony.ts';

/** What the server's `<Stream>` answer gave the call. */
export interface VobizAnswer {
  /** The stream URL on the test server (`ws://127.0.0.1:PORT/ws/vobiz/:agent/:callId/:token`). */
  readonly url: string;
  /** Parley's call id, from the stream URL's path. */
  readonly callId: string;
  readonly callUuid: string;
}

/**
 * POSTs Vobiz's `answer_url` for `agent` (see {@link answerVobiz}), signed with `authToken` when
 * given, and reads Parley's call id from the stream URL.
 * @throws Error when the answer is not 2xx or has no `<Stream>`.
 */
export async function answerVobizCall(
  server: TestServer,
  agent: string,
  options: { callUuid?: string; authToken?: string } = {},
): Promise<VobizAnswer> {
  const answerUrl = `${server.url}/telephony/vobiz/inbound/${agent}`;
  const headers = options.authToken ? vobizSignatureHeaders(options.authToken, answerUrl) : {};
  const answered = await answerVobiz(server, agent, { callUuid: options.callUuid, headers });
  const { pathname } = new URL(answered.url);
  return {
    url: answered.url,
    callId: decodeURIComponent(pathname.split('/')[4] ?? ''),
    callUuid: answered.providerCallId,
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
