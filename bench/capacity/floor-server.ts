/**
 * The capacity bench's floor: a do-nothing Twilio server built on `ws` that does only the work
 * no voice bot can avoid, so that Parley's cost per call can be read against it. It answers the
 * voice webhook with a `<Stream>`; per inbound message it parses the JSON, decodes the base64
 * payload and the µ-law to PCM, and finds the end of each utterance by peak level (the caller's
 * silence is digital zero); then it replies like the bot does: `REPLY_MS` of a tone, each 20 ms
 * chunk µ-law-encoded, base64'd and sent as a `media` message, paced by one shared timer with
 * the output transport's lead (80 ms beyond the chunk playing), then a `mark`.
 *
 * Usage (spawned by `capacity.ts` with an IPC channel): node --import tsx bench/capacity/floor-server.ts
 */
import { createServer } from 'node:http';
import { mulawToPcm, pcmToMulaw } from '@parley/pipeline';
import { WebSocketServer } from 'ws';
import { ServerProbe } from './server-probe.ts';

/** The bot's reply as the fake TTS speaks it in the Parley run: 31 characters at 60 ms. */
export const REPLY_MS = 31 * 60;
const CHUNK_SAMPLES = 160;
const LEAD_MS = 80;
const SPEECH_PEAK = 300;
/** Silent frames after speech that end an utterance (about the VAD's stop plus endpointing). */
const END_FRAMES = 40;

const tone = new Int16Array((REPLY_MS * 8000) / 1000);
for (let i = 0; i < tone.length; i++) tone[i] = Math.round(3000 * Math.sin((2 * Math.PI * 440 * i) / 8000));

interface Stream {
  readonly send: (data: string) => void;
  streamSid: string;
  speechFrames: number;
  silentFrames: number;
  /** Reply samples sent; -1 when not replying. */
  replySent: number;
  replyStartMs: number;
  replies: number;
}

const probe = new ServerProbe('floor');
const replying = new Set<Stream>();

const http = createServer((req, res) => {
  if (req.method === 'POST' && req.url?.startsWith('/telephony/twilio/inbound/')) {
    req.resume();
    const host = req.headers.host ?? '127.0.0.1';
    res.setHeader('content-type', 'text/xml');
    res.end(
      `<?xml version="1.0" encoding="UTF-8"?><Response><Connect><Stream url="ws://${host}/floor"><Parameter name="callId" value="floor"/></Stream></Connect></Response>`,
    );
    return;
  }
  res.statusCode = 404;
  res.end();
});

const wss = new WebSocketServer({ server: http });
wss.on('connection', (ws) => {
  const stream: Stream = {
    send: (data) => ws.send(data),
    streamSid: '',
    speechFrames: 0,
    silentFrames: 0,
    replySent: -1,
    replyStartMs: 0,
    replies: 0,
  };
  ws.on('message', (data: Buffer) => {
    probe.frame(ws, data);
    const msg = JSON.parse(data.toString()) as {
      event?: string;
      streamSid?: string;
      media?: { payload?: string };
    };
    if (msg.event === 'start') stream.streamSid = msg.streamSid ?? '';
    else if (msg.event === 'media' && msg.media?.payload)
      onAudio(stream, mulawToPcm(Buffer.from(msg.media.payload, 'base64')));
  });
  ws.on('close', () => replying.delete(stream));
});

function onAudio(stream: Stream, pcm: Int16Array): void {
  let peak = 0;
  for (let i = 0; i < pcm.length; i++) {
    const v = pcm[i]! < 0 ? -pcm[i]! : pcm[i]!;
    if (v > peak) peak = v;
  }
  if (peak >= SPEECH_PEAK) {
    stream.speechFrames++;
    stream.silentFrames = 0;
    return;
  }
  if (stream.speechFrames > 10 && ++stream.silentFrames === END_FRAMES) {
    stream.speechFrames = 0;
    stream.replySent = 0;
    stream.replyStartMs = performance.now();
    replying.add(stream);
    paceReply(stream, stream.replyStartMs);
  }
}

/** Sends the reply's chunks due within the lead; a mark after the last. */
function paceReply(stream: Stream, now: number): void {
  const playedSamples = ((now - stream.replyStartMs) * 8000) / 1000;
  const targetSamples = ((LEAD_MS + 20) * 8000) / 1000;
  while (stream.replySent < tone.length && stream.replySent - playedSamples < targetSamples) {
    const payload = Buffer.from(
      pcmToMulaw(tone.subarray(stream.replySent, stream.replySent + CHUNK_SAMPLES)),
    );
    stream.send(
      JSON.stringify({
        event: 'media',
        streamSid: stream.streamSid,
        media: { payload: payload.toString('base64') },
      }),
    );
    stream.replySent += CHUNK_SAMPLES;
  }
  if (stream.replySent >= tone.length) {
    stream.send(
      JSON.stringify({
        event: 'mark',
        streamSid: stream.streamSid,
        mark: { name: `reply-${++stream.replies}` },
      }),
    );
    replying.delete(stream);
  }
}

setInterval(() => {
  const now = performance.now();
  for (const stream of replying) paceReply(stream, now);
}, 20);

http.listen(0, '127.0.0.1', () => {
  const address = http.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  probe.announce(`http://127.0.0.1:${port}`);
});
process.on('disconnect', () => process.exit(0));
