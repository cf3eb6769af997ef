/**
 * A client for the echo bot: streams a WAV file (16-bit mono, 8 kHz) in real time as 20 ms
 * binary messages, keeps the line going with silence until the echo has finished, and saves
 * what came back to `echo.wav`.
 *
 *   npm run example:echo-client -- test-fixtures/speech/8k/goforward.wav [ws://127.0.0.1:8765]
 */
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { pcmFromBytes, pcmToBytes, readWav, WavFileWriter } from '@parley/pipeline';
import WebSocket from 'ws';

const SAMPLE_RATE_HZ = 8000;
const FRAME_SAMPLES = 160; // 20 ms

/** Options of {@link talkToEchoBot}. */
export interface TalkOptions {
  /** Silence sent before the speech, ms. Default 300. */
  readonly leadingSilenceMs?: number;
  /** The echo is over after this long without audio from the bot, ms. Default 600. */
  readonly quietMs?: number;
  /** Give up waiting for the echo after this long past the end of the speech, ms. Default 10000. */
  readonly maxWaitMs?: number;
}

/**
 * Say `pcm` (16-bit mono at 8000 Hz) to the echo bot at `url` and return what it played back,
 * 16-bit mono at 8000 Hz (empty when nothing came back within `maxWaitMs`).
 */
export async function talkToEchoBot(
  url: string,
  pcm: Int16Array,
  options: TalkOptions = {},
): Promise<Int16Array> {
  const ws = new WebSocket(url);
  await once(ws, 'open');
  const received: Int16Array[] = [];
  let lastAudioAt = 0;
  ws.on('message', (data, isBinary) => {
    if (!isBinary || !Buffer.isBuffer(data)) return;
    received.push(pcmFromBytes(new Uint8Array(data))); // a copy, at offset 0
    lastAudioAt = performance.now();
  });

  const leading = new Int16Array((SAMPLE_RATE_HZ * (options.leadingSilenceMs ?? 300)) / 1000);
  const begin = performance.now();
  let sent = 0;
  const sendFrame = async (frame: Int16Array) => {
    ws.send(pcmToBytes(frame));
    sent++;
    const due = begin + sent * 20 - performance.now(); // real time: one 20 ms frame every 20 ms
    if (due > 0) await sleep(due);
  };
  for (const audio of [leading, pcm]) {
    for (let i = 0; i < audio.length; i += FRAME_SAMPLES) await sendFrame(audio.slice(i, i + FRAME_SAMPLES));
  }

  // A phone line never goes quiet: keep sending silence until the echo has played out.
  const saidAt = performance.now();
  const quietMs = options.quietMs ?? 600;
  const silence = new Int16Array(FRAME_SAMPLES);
  for (;;) {
    const now = performance.now();
    if (received.length > 0 && now - lastAudioAt > quietMs) break;
    if (now - saidAt > (options.maxWaitMs ?? 10_000)) break;
    await sendFrame(silence);
  }
  ws.close();
  const echo = new Int16Array(received.reduce((n, c) => n + c.length, 0));
  let offset = 0;
  for (const chunk of received) {
    echo.set(chunk, offset);
    offset += chunk.length;
  }
  return echo;
}

if (import.meta.filename === process.argv[1]) {
  const [file, url = 'ws://127.0.0.1:8765'] = process.argv.slice(2);
  if (!file) throw new Error('usage: echo-client.ts <8 kHz mono WAV> [ws://host:port]');
  const wav = readWav(file);
  if (wav.sampleRateHz !== SAMPLE_RATE_HZ || wav.channels !== 1) {
    throw new Error(
      `${file} is ${wav.sampleRateHz} Hz, ${wav.channels} channel(s); the echo bot takes 8 kHz mono`,
    );
  }
  console.log(`saying ${file} (${(wav.pcm.length / SAMPLE_RATE_HZ).toFixed(2)} s) to ${url}…`);
  const echo = await talkToEchoBot(url, wav.pcm);
  const out = await WavFileWriter.open('echo.wav', { sampleRateHz: SAMPLE_RATE_HZ, channels: 1 });
  out.write(echo);
  const info = await out.close();
  console.log(`heard ${(info.durationMs / 1000).toFixed(2)} s back; saved to ${info.path}`);
}
