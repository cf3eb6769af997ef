/**
 * Echo bot: a WebSocket server that plays back what you said once you stop speaking (Silero VAD
 * decides when). No AI services, no API key, nothing to install beyond `npm install`.
 *
 *   npm run example:echo                     # listens on ws://127.0.0.1:8765 (env PORT)
 *   npm run example:echo-client -- test-fixtures/speech/8k/goforward.wav
 *
 * Wire protocol, both ways: binary WebSocket messages of 16-bit signed little-endian mono PCM at
 * 8000 Hz (20 ms = 320 bytes is typical). The bot answers in 20 ms messages paced in real time.
 */
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import {
  type AudioSink,
  InputTransport,
  OutputTransport,
  PipelineTask,
  pcmFromBytes,
  pcmToBytes,
  type TaskResult,
  VADProcessor,
} from '@parley/pipeline';
import { type RawData, type WebSocket, WebSocketServer } from 'ws';
import { EchoProcessor } from './echo-processor.ts';

const SAMPLE_RATE_HZ = 8000;

/** A running echo bot. */
export interface EchoBot {
  /** `ws://127.0.0.1:<port>` */
  readonly url: string;
  /** Stop listening and hang up every connection. */
  close(): Promise<void>;
}

/** Start the echo bot on `host:port` (default 127.0.0.1 and a free port). */
export async function startEchoBot(options: { host?: string; port?: number } = {}): Promise<EchoBot> {
  const wss = new WebSocketServer({ host: options.host ?? '127.0.0.1', port: options.port ?? 0 });
  await once(wss, 'listening');
  wss.on('connection', (socket) => {
    runCall(socket).catch(() => socket.close(1011, 'internal error'));
  });
  const { address, port } = wss.address() as AddressInfo;
  return {
    url: `ws://${address}:${port}`,
    close: async () => {
      for (const socket of wss.clients) socket.close(1001, 'server stopping');
      await new Promise<void>((resolve, reject) => wss.close((e) => (e ? reject(e) : resolve())));
    },
  };
}

/** One connection = one pipeline: caller audio → VAD → echo → paced audio back. */
async function runCall(socket: WebSocket): Promise<TaskResult> {
  const input = new InputTransport();
  const sink: AudioSink = {
    sendAudio: (pcm) => socket.send(pcmToBytes(pcm)),
    clearAudio: () => {}, // audio is paced in real time: the client holds at most ~80 ms of it
  };
  const task = new PipelineTask(
    [
      input,
      new VADProcessor({ params: { stopSecs: 0.5 } }), // a longer pause than the default ends an utterance
      new EchoProcessor(),
      new OutputTransport({ sink }),
    ],
    { audio: { inputSampleRateHz: SAMPLE_RATE_HZ, outputSampleRateHz: SAMPLE_RATE_HZ } },
  );
  socket.on('message', (data, isBinary) => {
    if (isBinary) input.pushAudio(toPcm(data), SAMPLE_RATE_HZ);
  });
  socket.on('close', () => task.cancel('client_closed'));
  const result = await task.run();
  socket.close(1000, result.reason);
  return result;
}

/** A copy of a message's bytes as samples (an odd byte count loses its last byte). */
function toPcm(data: RawData): Int16Array {
  const bytes = Array.isArray(data) ? Buffer.concat(data) : new Uint8Array(data);
  return pcmFromBytes(bytes.subarray(0, bytes.length & ~1));
}

if (import.meta.filename === process.argv[1]) {
  const bot = await startEchoBot({ port: Number(process.env.PORT ?? 8765) });
  console.log(`echo bot listening on ${bot.url} (16-bit PCM, 8 kHz, mono); Ctrl-C to stop`);
  process.once('SIGINT', () => void bot.close());
}
