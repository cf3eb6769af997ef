/**
 * The demo caller: plays a WAV file into a Parley agent the way a telephony provider would
 * (Twilio by default, or Exotel or Vobiz), and reports what happened.
 *
 *   npm run call -- <file.wav> [--provider twilio|exotel|vobiz] [--agent demo] [--server http://127.0.0.1:8080] [--out bot.wav] [--turn-timeout 20]
 *
 * It plays the provider's webhook first (the server answers with the stream and its one-time
 * token), waits for the greeting to finish, streams the file in real time (Twilio and Vobiz:
 * 20 ms µ-law frames; Exotel: 100 ms PCM chunks),
 * keeps streaming silence until the bot's reply has been played, prints the turn's latency
 * (end of the caller's speech → first bot audio), saves what the caller heard to `--out`,
 * hangs up and prints the stored transcript. Reading the stored call needs credentials: the API
 * key in `PARLEY_API_KEY`, else it signs in as `admin` with `PARLEY_ADMIN_PASSWORD` or the
 * first-start password file `$DATA_DIR/admin-password.txt` (see `api-credentials.ts`).
 */
import { parseArgs } from 'node:util';
import { createResampler, readWav, WavFileWriter } from '@parley/pipeline';
import type { ProviderName } from '@parley/telephony';
import { dial } from './answer-call.ts';
import { apiReadHeaders } from './api-credentials.ts';
import type { CallSimulator } from './call-simulator.ts';

const PROVIDERS: readonly ProviderName[] = ['twilio', 'exotel', 'vobiz'];

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    agent: { type: 'string', default: 'demo' },
    provider: { type: 'string', default: 'twilio' },
    server: { type: 'string', default: `http://127.0.0.1:${process.env.PORT ?? 8080}` },
    out: { type: 'string', default: 'bot-audio.wav' },
    'turn-timeout': { type: 'string', default: '20' },
  },
});

const file = positionals[0];
if (!file) {
  console.error(
    'usage: npm run call -- <file.wav> [--provider twilio|exotel|vobiz] [--agent demo] [--server URL] [--out bot.wav]',
  );
  process.exit(2);
}
const provider = values.provider as ProviderName;
if (!PROVIDERS.includes(provider)) {
  console.error(`--provider must be one of ${PROVIDERS.join(', ')}`);
  process.exit(2);
}
/** The message that carries the bot's audio. */
const botAudioEvent = provider === 'vobiz' ? 'playAudio' : 'media';

/** Where the speech in `pcm` ends, ms: the end of the last 20 ms frame louder than about -40 dBFS. */
function speechEndMs(pcm: Int16Array): number {
  let end = 0;
  for (let i = 0; i + 160 <= pcm.length; i += 160) {
    let sum = 0;
    for (let j = i; j < i + 160; j++) sum += pcm[j]! * pcm[j]!;
    if (Math.sqrt(sum / 160) > 330) end = i + 160;
  }
  return (end / 8000) * 1000;
}

/** Resolves once the bot was quiet for `quietMs` after speaking (or `timeoutMs` passed). */
async function untilBotDone(sim: CallSimulator, sinceMs: number, quietMs: number, timeoutMs: number) {
  const deadline = sim.now() + timeoutMs;
  for (;;) {
    const media = sim.messages(botAudioEvent).filter((m) => m.atMs >= sinceMs);
    const last = media.at(-1);
    if (last && sim.now() - last.atMs > quietMs) return media[0]!.atMs;
    if (sim.now() > deadline) return media[0]?.atMs;
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function main(): Promise<void> {
  const wav = readWav(file!);
  let pcm = wav.pcm;
  if (wav.channels !== 1) throw new Error(`${file}: expected a mono WAV, got ${wav.channels} channels`);
  if (wav.sampleRateHz !== 8000) {
    const resampler = await createResampler(wav.sampleRateHz, 8000);
    const body = resampler.process(pcm);
    const tail = resampler.flush();
    pcm = new Int16Array(body.length + tail.length);
    pcm.set(body);
    pcm.set(tail, body.length);
    resampler.dispose();
  }
  const server = values.server!.replace(/\/+$/, '');
  const { sim, callId } = await dial(
    provider,
    { url: server, wsUrl: server.replace(/^http/, 'ws') },
    values.agent,
  );
  await sim.connect();
  sim.start();
  const timeoutMs = Number(values['turn-timeout']) * 1000;
  const background = new AbortController();
  // The phone line carries audio all the time: silence while we wait.
  const silence = (async () => {
    while (!background.signal.aborted && sim.isOpen)
      await sim.streamSilence(200, { signal: background.signal });
  })();

  const greetingAt = await untilBotDone(sim, 0, 1000, timeoutMs);
  console.log(
    greetingAt === undefined
      ? 'No greeting heard.'
      : `Greeting started ${Math.round(greetingAt)} ms after connect.`,
  );
  background.abort();
  await silence;

  console.log(`Speaking ${file} (${(pcm.length / 8000).toFixed(1)} s)…`);
  const streamedAt = sim.now();
  await sim.streamAudio(pcm);
  const speechEndedAt = streamedAt + speechEndMs(pcm);
  const replyAt = await sim.withSilence(() => untilBotDone(sim, speechEndedAt, 1500, timeoutMs));
  if (replyAt === undefined) console.log('Turn 1: no reply within the timeout.');
  else
    console.log(
      `Turn 1 latency: ${Math.round(replyAt - speechEndedAt)} ms (end of the caller's speech → first bot audio)`,
    );

  sim.hangUp();
  await sim.closed();
  const heard = sim.heardAudio();
  const writer = await WavFileWriter.open(values.out!, { sampleRateHz: 8000, channels: 1 });
  writer.write(heard);
  await writer.close();
  console.log(`Saved ${(heard.length / 8000).toFixed(1)} s of bot audio to ${values.out}.`);

  await new Promise((r) => setTimeout(r, 500)); // let the server store the call
  const credentials = await apiReadHeaders(server);
  if ('problem' in credentials) {
    console.log(`Call ${callId}: to print its stored transcript, ${credentials.problem}.`);
    return;
  }
  const res = await fetch(`${server}/api/calls/${callId}`, { headers: credentials.headers });
  if (!res.ok) console.log(`Call ${callId}: reading it answered ${res.status}.`);
  else {
    const detail = (await res.json()) as {
      status: string;
      transcript: Array<{ role: string; text: string }>;
    };
    console.log(`Call ${callId}: ${detail.status}`);
    for (const t of detail.transcript) console.log(`  ${t.role}: ${t.text}`);
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
