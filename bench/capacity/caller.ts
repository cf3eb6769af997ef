/**
 * The capacity bench's caller emulator: N Twilio calls from one process, in real time. Each
 * call POSTs the voice webhook (the answer names the stream URL and its one-time token), opens
 * the WebSocket, sends `connected` and `start`, then 20 ms µ-law `media` frames of a speech clip
 * followed by 4 s of silence, looped (each call from a random point of the loop); it plays the
 * bot's audio on an emulated phone ({@link PlaybackMeter}: underruns and gaps), echoes each
 * `mark` once the audio before it was played and honours `clear`. One timer drives all calls.
 *
 * Usage (spawned by `capacity.ts` with an IPC channel):
 *   node --import tsx bench/capacity/caller.ts <server URL> <calls>
 * IPC: sends `{ ready: true }` once every call streams; `{ cmd: 'start' }` starts the measured
 * span; `{ cmd: 'report' }` answers with a {@link CallerReport}.
 * Protocol: https://www.twilio.com/docs/voice/media-streams/websocket-messages
 */
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { pcmToMulaw, readWav } from '@parley/pipeline';
import WebSocket from 'ws';
import { answerTwilio } from '../../apps/server/src/tools/answer-call.ts';
import { PlaybackMeter, percentile } from './measures.ts';

/** What the emulator measured over the span. */
export interface CallerReport {
  readonly calls: number;
  readonly closedEarly: number;
  readonly framesSent: number;
  /** How late the emulator itself sent frames, ms (its own health: it should stay small). */
  readonly senderLateP99Ms: number | null;
  readonly chunks: number;
  readonly underruns: number;
  readonly gapP99Ms: number | null;
  readonly gapMaxMs: number | null;
  readonly replies: number;
  readonly replyP50Ms: number | null;
  readonly replyP99Ms: number | null;
}

const FRAME_MS = 20;
const TICK_MS = 5;
const SILENCE_MS = 4000;

const [serverUrl, callsArg] = process.argv.slice(2);
const callCount = Number(callsArg);
if (!serverUrl || !(callCount > 0)) throw new Error('usage: caller.ts <server URL> <calls>');

const clip = readWav(
  path.resolve(import.meta.dirname, '../../test-fixtures/speech/8k/ast-vm-nobodyavail.wav'),
).pcm;
const clipFrames = Math.floor(clip.length / 160);
const loop = new Int16Array(clipFrames * 160 + (SILENCE_MS / FRAME_MS) * 160);
loop.set(clip.subarray(0, clipFrames * 160));
/** Base64 µ-law payloads of the loop, one per 20 ms frame. */
const payloads: string[] = [];
for (let i = 0; i < loop.length; i += 160) {
  payloads.push(Buffer.from(pcmToMulaw(loop.subarray(i, i + 160))).toString('base64'));
}

interface Call {
  readonly ws: WebSocket;
  readonly streamSid: string;
  readonly meter: PlaybackMeter;
  /** Position in the loop, frames. */
  loopIndex: number;
  /** Frames sent on the stream (timestamps follow it). */
  sent: number;
  seq: number;
  firstDueMs: number;
  awaitingReplySinceMs: number | undefined;
  open: boolean;
}

const calls: Call[] = [];
let measuring = false;
let framesSent = 0;
let closedEarly = 0;
const senderLateMs: number[] = [];
const replyMs: number[] = [];

async function openCall(): Promise<Call> {
  const answer = await answerTwilio({ url: serverUrl!, wsUrl: serverUrl!.replace(/^http/, 'ws') });
  const ws = new WebSocket(answer.url);
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  const streamSid = `MZ${randomBytes(16).toString('hex')}`;
  const call: Call = {
    ws,
    streamSid,
    meter: new PlaybackMeter(FRAME_MS),
    loopIndex: Math.floor(Math.random() * payloads.length),
    sent: 0,
    seq: 0,
    firstDueMs: performance.now(),
    awaitingReplySinceMs: undefined,
    open: true,
  };
  ws.send(JSON.stringify({ event: 'connected', protocol: 'Call', version: '1.0.0' }));
  ws.send(
    JSON.stringify({
      event: 'start',
      sequenceNumber: String(++call.seq),
      streamSid,
      start: {
        streamSid,
        accountSid: `AC${randomBytes(16).toString('hex')}`,
        callSid: answer.providerCallId,
        tracks: ['inbound'],
        customParameters: answer.customParameters,
        mediaFormat: { encoding: 'audio/x-mulaw', sampleRate: 8000, channels: 1 },
      },
    }),
  );
  ws.on('message', (data: Buffer) => onMessage(call, data));
  ws.on('close', () => {
    if (call.open && measuring) closedEarly++;
    call.open = false;
  });
  ws.on('error', () => {});
  return call;
}

function onMessage(call: Call, data: Buffer): void {
  const now = performance.now();
  const msg = JSON.parse(data.toString()) as { event?: string; mark?: { name?: string } };
  switch (msg.event) {
    case 'media':
      call.meter.audio(now);
      if (call.awaitingReplySinceMs !== undefined) {
        if (measuring) replyMs.push(now - call.awaitingReplySinceMs);
        call.awaitingReplySinceMs = undefined;
      }
      break;
    case 'mark':
      call.meter.mark(msg.mark?.name ?? '', now);
      break;
    case 'clear':
      call.meter.clear(now);
      break;
  }
}

function sendFrame(call: Call, dueMs: number, now: number): void {
  const i = call.loopIndex;
  call.loopIndex = (i + 1) % payloads.length;
  call.sent++;
  const ts = call.sent * FRAME_MS;
  call.ws.send(
    `{"event":"media","sequenceNumber":"${++call.seq}","streamSid":"${call.streamSid}","media":{"track":"inbound","chunk":"${call.sent}","timestamp":"${ts}","payload":"${payloads[i]}"}}`,
  );
  if (measuring) {
    framesSent++;
    senderLateMs.push(now - dueMs);
  }
  // The caller's last spoken frame: the reply is awaited from here (unless the bot still talks).
  if (i === clipFrames - 1 && !call.meter.playing(now)) call.awaitingReplySinceMs = now;
}

function tick(): void {
  const now = performance.now();
  for (const call of calls) {
    if (!call.open) continue;
    while (call.firstDueMs + call.sent * FRAME_MS <= now)
      sendFrame(call, call.firstDueMs + call.sent * FRAME_MS, now);
    for (const name of call.meter.dueMarks(now)) {
      call.ws.send(
        `{"event":"mark","sequenceNumber":"${++call.seq}","streamSid":"${call.streamSid}","mark":{"name":${JSON.stringify(name)}}}`,
      );
    }
  }
}

function report(): CallerReport {
  let chunks = 0;
  const gaps: number[] = [];
  for (const call of calls) {
    chunks += call.meter.chunks;
    gaps.push(...call.meter.gapsMs);
  }
  return {
    calls: calls.length,
    closedEarly,
    framesSent,
    senderLateP99Ms: percentile(senderLateMs, 99),
    chunks,
    underruns: gaps.length,
    gapP99Ms: percentile(gaps, 99),
    gapMaxMs: gaps.length > 0 ? Math.max(...gaps) : null,
    replies: replyMs.length,
    replyP50Ms: percentile(replyMs, 50),
    replyP99Ms: percentile(replyMs, 99),
  };
}

process.on('message', (m: { cmd?: string }) => {
  if (m.cmd === 'start') {
    for (const call of calls) {
      call.meter.chunks = 0;
      call.meter.gapsMs.length = 0;
    }
    measuring = true;
  } else if (m.cmd === 'report') {
    measuring = false;
    process.send?.({ report: report() });
  }
});
process.on('disconnect', () => process.exit(0));

setInterval(tick, TICK_MS);
// Open the calls a few at a time, so the webhooks do not all arrive at once.
for (let i = 0; i < callCount; i += 10) {
  const batch = await Promise.all(Array.from({ length: Math.min(10, callCount - i) }, () => openCall()));
  const now = performance.now();
  for (const call of batch) call.firstDueMs = now;
  calls.push(...batch);
}
process.send?.({ ready: true });
