/**
 * The capacity bench's Parley server: the real assembly (`buildApp`: webhooks and one-time
 * tokens, `@fastify/websocket`, the Twilio serializer, Silero VAD batched across calls, the
 * recorder, observers, call events in an in-memory PGlite, or PostgreSQL at BENCH_CAPACITY_DATABASE_URL) with vendor fakes: a fake STT (a
 * scripted transcript 100 ms after each end of speech), the OpenAI client against a fake
 * OpenAI-compatible server in another process, and a fake TTS (a tone, 60 ms a character).
 *
 * With `--no-vad` there is no local VAD: the server's `VADProcessor` is patched (in this process
 * only) to pass frames through, and the fake STT reports the caller's speaking edges itself, by
 * peak level (the caller's silence is digital zero), as a cloud STT with its own endpointing does.
 *
 * Usage (spawned by `capacity.ts` with an IPC channel):
 *   node --import tsx bench/capacity/parley-server.ts <llm base URL> [--no-vad]
 * Reports through {@link ServerProbe}; the handling time of each provider message is taken as
 * `ws` emits it (a byte search for the media timestamp, about a microsecond).
 */
import { rmSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type Direction, type Frame, frame, tuneGcForRealTime, VADProcessor } from '@parley/pipeline';
import { OpenAILLMService } from '@parley/services';
import { FakeSTTService, FakeTTSService } from '@parley/services/testing';
import { sql } from 'kysely';
import { WebSocket } from 'ws';
import { buildApp } from '../../apps/server/src/app.ts';
import type { ServiceFactory } from '../../apps/server/src/calls/services.ts';
import { loadServerConfig } from '../../apps/server/src/config/server-config.ts';
import { openCredentialStore } from '../../apps/server/src/credentials/open.ts';
import { openDatabase } from '../../apps/server/src/db/database.ts';
import { createSessionStore } from '../../apps/server/src/sessions/index.ts';
import { ServerProbe } from './server-probe.ts';

tuneGcForRealTime(); // as the server's main.ts does

const llmUrl = process.argv[2];
if (!llmUrl) throw new Error('usage: parley-server.ts <llm base URL>');

const noVad = process.argv.includes('--no-vad');
const probe = new ServerProbe(noVad ? 'parley-no-vad' : 'parley');
const emit = WebSocket.prototype.emit;
WebSocket.prototype.emit = function (this: WebSocket, event: string | symbol, ...args: unknown[]): boolean {
  if (event === 'message' && Buffer.isBuffer(args[0])) probe.frame(this, args[0]);
  return emit.call(this, event, ...args);
};

if (noVad) {
  // biome-ignore lint/complexity/useLiteralKeys: a bench-only patch of a protected method
  VADProcessor.prototype['processFrame'] = function (this: VADProcessor, f: Frame, direction: Direction) {
    // biome-ignore lint/complexity/useLiteralKeys: as above
    this['push'](f, direction);
  };
}

/** A fake STT that also finds the caller's speaking edges (see the file's comment). */
class EndpointingFakeSTT extends FakeSTTService {
  private speechFrames = 0;
  private silentFrames = 0;
  private speaking = false;

  protected override sendAudio(pcm: Int16Array): void {
    let peak = 0;
    for (let i = 0; i < pcm.length; i++) {
      const v = pcm[i]! < 0 ? -pcm[i]! : pcm[i]!;
      if (v > peak) peak = v;
    }
    if (peak >= 300) {
      this.silentFrames = 0;
      if (++this.speechFrames === 10 && !this.speaking) {
        this.speaking = true;
        this.push(frame('vad_user_started_speaking'));
      }
    } else if (this.speaking && ++this.silentFrames === 40) {
      this.speaking = false;
      this.speechFrames = 0;
      this.push(frame('vad_user_stopped_speaking'));
      this.onUserStoppedSpeaking();
    } else if (!this.speaking) this.speechFrames = 0;
  }
}

// One per caller utterance (one every ~7 s): 200 outlast any point. Each call copies the script,
// so a longer one is live heap the server's major GCs must mark (10,000 were 8 MB at 100 calls).
const TRANSCRIPTS = Array.from({ length: 200 }, () => 'What time do you open tomorrow?');

const services: ServiceFactory = () => ({
  stt: noVad
    ? new EndpointingFakeSTT({ transcripts: TRANSCRIPTS, delayMs: 100 })
    : new FakeSTTService({ transcripts: TRANSCRIPTS, delayMs: 100 }),
  llm: new OpenAILLMService({ apiKey: 'bench', baseUrl: llmUrl }),
  tts: new FakeTTSService({ msPerChar: 60 }),
  problems: [],
});

const dir = await mkdtemp(path.join(tmpdir(), 'parley-capacity-'));
const config = loadServerConfig({
  RECORDINGS_DIR: path.join(dir, 'recordings'),
  DATA_DIR: dir,
  LOG_LEVEL: 'error',
  MAX_CONCURRENT_CALLS: '100000',
  MAX_PENDING_STREAMS_PER_IP: '100000',
  RATE_LIMIT_WEBHOOKS_PER_MIN: '1000000',
});
// PGlite runs on the server's own thread; BENCH_CAPACITY_DATABASE_URL measures with PostgreSQL instead.
const databaseUrl = process.env.BENCH_CAPACITY_DATABASE_URL;
const schema = `bench_capacity_${process.pid}`;
const database = databaseUrl
  ? await openDatabase({ url: databaseUrl, schema })
  : await openDatabase({ dataDir: 'memory' });
const sessions = createSessionStore(undefined);
const credentials = await openCredentialStore(database.db, config);
const parley = await buildApp({ config, database, sessions, credentials, services });
await parley.agents.seedDemo();
await parley.app.listen({ port: 0, host: '127.0.0.1' });
const address = parley.app.server.address();
const port = typeof address === 'object' && address ? address.port : 0;
probe.announce(`http://127.0.0.1:${port}`);
process.on('disconnect', () => {
  // The calls end and are stored first (bounded), so that none writes to the tables dropped below.
  const closed = Promise.race([parley.shutdown(), new Promise((resolve) => setTimeout(resolve, 10_000))]);
  void closed
    .then(async () => {
      rmSync(dir, { recursive: true, force: true }); // the calls' recordings
      // The point's tables go with it: a shared database must not fill up with them over a run.
      if (databaseUrl) await sql`drop schema if exists ${sql.id(schema)} cascade`.execute(database.db);
    })
    .catch(() => undefined)
    .finally(() => process.exit(0));
});
