/**
 * What each vendor adapter costs on the hot path, in CPU µs of the adapter's own process:
 * - STT: per 20 ms `input_audio` frame pushed through the streaming STT service with the
 *   pipeline's test harness: the base class, the adapter's `sendAudio` (encoding, base64/JSON
 *   where the protocol wants it) and the SDK's WebSocket write down to the kernel;
 * - TTS: per 20 ms of `output_audio` produced: the HTTP request, reading the streamed payload
 *   (raw PCM, or JSON lines with base64 audio and word timings), decoding it, resampling where
 *   the vendor cannot synthesize at the call's rate, and framing it as `output_audio`.
 * Each against the same frames through a do-nothing `STTService` / `TTSService` subclass (the
 * base class's own cost), printed as a ratio.
 *
 * Method: the loopback fakes run in a child process (`vendor-fake-process.ts`, on the other
 * core when `taskset` is available), so `process.cpuUsage()` (user + system, all threads of this
 * process: JIT, GC, socket writes in the kernel) counts the adapter side only. One session per
 * adapter stays open; each run sends a batch (STT: frames in bursts of 250 with a 2 ms pause, so
 * the writes drain; TTS: sentences the fake streams in 100 ms chunks 2 ms apart, each chunk its
 * own read) and measures the CPU from the first send until the last byte is out (STT) or the
 * last `tts_stopped` (TTS); idle waiting costs no CPU. Runs alternate between adapters in a
 * rotating order, after a full GC when `--expose-gc` is on; the first run of each is a warm-up.
 * Median and range over the runs. The audio each fake received, and each TTS adapter produced,
 * is checked against what was sent.
 *
 * Environment: BENCH_VENDOR_RUNS (measured runs per adapter, default 7), BENCH_VENDOR_FRAMES
 * (STT frames per run, default 1500 = 30 s), BENCH_VENDOR_SENTENCES (TTS sentences per run,
 * default 3), BENCH_VENDOR_SENTENCE_MS (audio per sentence, default 3000), BENCH_VENDOR_CHUNK_MS
 * (TTS payload chunk, default 100), BENCH_VENDOR_RATES (call rates, Hz, default 8000,16000),
 * BENCH_VENDOR_KINDS (default stt,tts), BENCH_VENDOR_ONLY (vendor names, default all).
 * To see what dominates, run one adapter under `node --cpu-prof --cpu-prof-interval 100
 * --import tsx bench/vendor-cost.ts` with BENCH_VENDOR_ONLY and BENCH_VENDOR_KINDS set.
 */
import { execFileSync, spawn } from 'node:child_process';
import { cpus } from 'node:os';
import path from 'node:path';
import {
  type FrameProcessor,
  frame,
  type InputAudioFrame,
  ProcessorHarness,
  STTService,
  TTSService,
} from '@parley/pipeline';
import { preloadVendorSdks } from '@parley/services';
import { percentile } from './report.ts';
import type { FakeMessage, FakeRequest } from './vendor-fake-process.ts';
import { type SpeechShape, VENDORS, type VendorEntry } from './vendors.ts';

const RUNS = Number(process.env.BENCH_VENDOR_RUNS ?? 7);
const STT_FRAMES = Number(process.env.BENCH_VENDOR_FRAMES ?? 1500);
const SENTENCES = Number(process.env.BENCH_VENDOR_SENTENCES ?? 3);
const SENTENCE_MS = Number(process.env.BENCH_VENDOR_SENTENCE_MS ?? 3000);
const RATES = (process.env.BENCH_VENDOR_RATES ?? '8000,16000').split(',').map(Number);
const ONLY = process.env.BENCH_VENDOR_ONLY?.split(',');
const KINDS = (process.env.BENCH_VENDOR_KINDS ?? 'stt,tts').split(',');
/** The vendors measured (all, or those named in BENCH_VENDOR_ONLY). */
const vendors = VENDORS.filter((v) => !ONLY || ONLY.includes(v.name));
const FRAME_MS = 20;
/** Frames sent between two pauses: large, so that the event loop's wake-ups (tens of µs each on a
 * loaded VM) do not drown the per-frame cost. */
const BURST = 250;
const CHUNK_MS = Number(process.env.BENCH_VENDOR_CHUNK_MS ?? 100);
const CHUNK_DELAY_MS = 2;
/** Speech-like text density: one character per 50 ms (word timings are per character). */
const MS_PER_CHAR = 50;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const gcHook = (globalThis as { gc?: () => void }).gc;
const gcEnabled = gcHook !== undefined;

/** A full GC, then a pause for V8's concurrent sweeping (its threads count in the process's CPU). */
async function settle(): Promise<void> {
  gcHook?.();
  await sleep(20);
}

/** The STT base class alone: audio goes nowhere. */
class BaseClassSTT extends STTService {
  protected override connect(): void {}
  protected override sendAudio(): void {}
  protected override disconnect(): void {}
}

/** The TTS base class alone: each sentence is {@link SENTENCE_MS} of ready chunks of {@link CHUNK_MS}. */
class BaseClassTTS extends TTSService {
  private chunk = new Int16Array(0);

  get sampleRateHz(): number {
    return this.outputSampleRateHz;
  }

  protected override async *synthesize(): AsyncIterable<Int16Array> {
    const samples = (this.sampleRateHz * CHUNK_MS) / 1000;
    if (this.chunk.length !== samples) this.chunk = new Int16Array(samples).fill(1000);
    for (let ms = 0; ms < SENTENCE_MS; ms += CHUNK_MS) yield this.chunk;
  }
}

/** The fake process and a one-request-at-a-time channel to it; its exit fails the pending request. */
class FakeProcess {
  private pending: { resolve: (m: FakeMessage) => void; reject: (e: Error) => void } | undefined;

  private constructor(private readonly child: ReturnType<typeof spawn>) {
    child.on('message', (m: FakeMessage) => this.settle()?.resolve(m));
    child.once('exit', (code) => this.settle()?.reject(new Error(`the fake process exited (${code})`)));
  }

  static async start(): Promise<{ fakes: FakeProcess; urls: Endpoints; pinned: boolean }> {
    const script = path.join(import.meta.dirname, 'vendor-fake-process.ts');
    const nodeArgs = ['--import', 'tsx', script];
    const pinned = cpus().length > 1 && hasTaskset();
    const stdio = ['ignore', 'inherit', 'inherit', 'ipc'] as const;
    const child = pinned
      ? spawn('taskset', ['-c', '1', process.execPath, ...nodeArgs], { stdio: [...stdio] })
      : spawn(process.execPath, nodeArgs, { stdio: [...stdio] });
    const fakes = new FakeProcess(child);
    const ready = await fakes.next();
    if (ready.type !== 'ready') throw new Error(`unexpected first message ${ready.type}`);
    return { fakes, urls: { urls: ready.urls, cas: ready.cas }, pinned };
  }

  request(m: FakeRequest): Promise<FakeMessage> {
    const reply = this.next();
    this.child.send(m);
    return reply;
  }

  stop(): void {
    this.child.disconnect();
  }

  private next(): Promise<FakeMessage> {
    return new Promise((resolve, reject) => {
      this.pending = { resolve, reject };
    });
  }

  private settle() {
    const pending = this.pending;
    this.pending = undefined;
    return pending;
  }
}

function hasTaskset(): boolean {
  try {
    execFileSync('taskset', ['-c', '1', 'true']);
    return true;
  } catch {
    return false;
  }
}

/** One open service under measurement. */
interface Session<P extends FrameProcessor> {
  readonly name: string;
  /** The vendor whose fake answers it; none for the base class. */
  readonly vendor?: string;
  readonly harness: ProcessorHarness<P>;
  /** CPU per unit (frame or 20 ms of audio) of each measured run, µs. */
  readonly perUnitUs: number[];
}

/** CPU time of this process so far (user + system, all threads), µs. */
function cpu(): number {
  const u = process.cpuUsage();
  return u.user + u.system;
}

/** Measures `work`'s CPU into `s`, divided by the units it reports. */
async function timed(s: Session<FrameProcessor>, work: () => Promise<number>): Promise<void> {
  await settle();
  const t0 = cpu();
  const units = await work();
  const t1 = cpu();
  s.perUnitUs.push((t1 - t0) / units);
}

/** Stops with the first error the service reported upstream. */
function checkErrors(s: Session<FrameProcessor>): void {
  const error = s.harness.ofType('error', 'upstream')[0];
  if (error) throw new Error(`${s.name}: ${error.message}`);
}

function clear(s: Session<FrameProcessor>): void {
  s.harness.downstream.length = 0;
  s.harness.upstream.length = 0;
}

/** `count` 20 ms frames of a tone with noise at `rateHz`, each its own array. */
function callerFrames(rateHz: number, count: number): InputAudioFrame[] {
  const samples = (rateHz * FRAME_MS) / 1000;
  let seed = 1;
  return Array.from({ length: count }, (_, k) => {
    const audio = new Int16Array(samples);
    for (let i = 0; i < samples; i++) {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      const t = (k * samples + i) / rateHz;
      audio[i] = Math.round(3000 * Math.sin(2 * Math.PI * 220 * t) + ((seed % 1000) - 500));
    }
    return frame('input_audio', { audio, sampleRateHz: rateHz, channels: 1 });
  });
}

/** One STT run: every frame through the service; the units are frames. */
async function sttRun(s: Session<STTService>, frames: readonly InputAudioFrame[]): Promise<number> {
  for (let i = 0; i < frames.length; i += BURST) {
    for (let j = i; j < Math.min(i + BURST, frames.length); j++) s.harness.send(frames[j]!);
    await sleep(2);
  }
  await sleep(5); // the last writes drain
  checkErrors(s);
  if (s.harness.ofType('input_audio').length !== frames.length) throw new Error(`${s.name} lost frames`);
  clear(s);
  return frames.length;
}

/** The text of one sentence: {@link SENTENCE_MS} of speech at {@link MS_PER_CHAR}. */
const SENTENCE = 'Your table is booked for eight. '
  .repeat(Math.ceil(SENTENCE_MS / MS_PER_CHAR / 32))
  .slice(0, SENTENCE_MS / MS_PER_CHAR);

/**
 * Resolves at the `count`-th `tts_stopped` from now (a subscription rather than the harness's
 * `waitFor`, whose wake-up on every frame would add to the streamed adapters' cost). A failed
 * synthesis ends with `tts_stopped` too, after the base class's response timeout.
 */
function stopped(s: Session<TTSService>, count: number): Promise<void> {
  return new Promise((resolve) => {
    let seen = 0;
    const sub = s.harness.processor.downstream$.subscribe((f) => {
      if (f.type !== 'tts_stopped' || ++seen < count) return;
      sub.unsubscribe();
      resolve();
    });
  });
}

/** One TTS run: {@link SENTENCES} sentences; the units are 20 ms of output audio. */
async function ttsRun(s: Session<TTSService>, rateHz: number): Promise<number> {
  const done = stopped(s, SENTENCES);
  for (let i = 0; i < SENTENCES; i++) s.harness.send(frame('tts_speak', { text: SENTENCE }));
  await done;
  checkErrors(s);
  const samples = s.harness.ofType('output_audio').reduce((n, f) => n + f.audio.length, 0);
  const expected = (SENTENCES * SENTENCE_MS * rateHz) / 1000;
  if (Math.abs(samples - expected) > expected * 0.01)
    throw new Error(`${s.name} produced ${samples} samples, expected ${expected}`);
  clear(s);
  return samples / ((rateHz * FRAME_MS) / 1000);
}

/** Runs every session {@link RUNS} times after a warm-up run, in a rotating order. */
async function measure<P extends FrameProcessor>(
  sessions: Session<P>[],
  before: (s: Session<P>) => Promise<void>,
  run: (s: Session<P>) => Promise<number>,
): Promise<void> {
  for (let r = 0; r <= RUNS; r++) {
    for (let k = 0; k < sessions.length; k++) {
      const s = sessions[(k + r) % sessions.length]!;
      await before(s);
      await timed(s, () => run(s));
      if (r === 0) s.perUnitUs.pop();
    }
  }
}

const fmt = (v: number) => v.toFixed(Math.abs(v) >= 100 ? 0 : Math.abs(v) >= 10 ? 1 : 2);

function print(sessions: readonly Session<FrameProcessor>[], what: string): void {
  const base = percentile(sessions[0]!.perUnitUs, 50);
  for (const s of sessions) {
    const p50 = percentile(s.perUnitUs, 50);
    const notes = [`runs ${fmt(Math.min(...s.perUnitUs))}–${fmt(Math.max(...s.perUnitUs))}`];
    if (s !== sessions[0]) notes.push(`${(p50 / base).toFixed(1)}× the base class, +${fmt(p50 - base)} µs`);
    console.log(`${s.name} ${what}: ${fmt(p50)} µs (${notes.join('; ')})`);
  }
}

/** Starts the base class and each vendor's adapter at `rateHz`, each in its own harness. */
async function open<P extends FrameProcessor>(
  kind: 'stt' | 'tts',
  base: P,
  create: (vendor: VendorEntry) => P | undefined,
  rateHz: number,
): Promise<Session<P>[]> {
  const sessions: Session<P>[] = [
    { name: `${kind} base class`, harness: new ProcessorHarness(base), perUnitUs: [] },
  ];
  for (const v of vendors) {
    const service = create(v);
    if (!service) continue;
    const harness = new ProcessorHarness(service);
    sessions.push({ name: `${kind} ${v.name}`, vendor: v.name, harness, perUnitUs: [] });
  }
  for (const s of sessions) await s.harness.start({ inputSampleRateHz: rateHz, outputSampleRateHz: rateHz });
  return sessions;
}

async function stop(sessions: readonly Session<FrameProcessor>[]): Promise<void> {
  for (const s of sessions) {
    s.harness.send(frame('end', { reason: 'bench over' }));
    await s.harness.waitFor('end', { timeoutMs: 10_000 });
    s.harness.dispose();
  }
}

/** The fakes' base URLs by vendor, and the certificates of those that speak TLS. */
interface Endpoints {
  readonly urls: Record<string, string>;
  readonly cas: Record<string, string>;
}

async function benchStt(fakes: FakeProcess, urls: Endpoints): Promise<void> {
  const sentBytes = new Map<string, number>();
  for (const rateHz of RATES) {
    const sessions = await open<STTService>(
      'stt',
      new BaseClassSTT('base'),
      (v) => v.stt?.create(urls.urls[v.name]!, urls.cas[v.name]),
      rateHz,
    );
    const frames = callerFrames(rateHz, STT_FRAMES);
    await measure(
      sessions,
      async () => {},
      (s) => sttRun(s, frames),
    );
    await stop(sessions);
    print(sessions, `${rateHz / 1000} kHz, per ${FRAME_MS} ms input frame`);
    const audioSecs = ((RUNS + 1) * STT_FRAMES * FRAME_MS) / 1000;
    for (const v of vendors) {
      if (v.stt)
        sentBytes.set(v.name, (sentBytes.get(v.name) ?? 0) + audioSecs * v.stt.wireBytesPerSecond(rateHz));
    }
  }
  for (const [vendor, expected] of sentBytes) {
    const reply = await fakes.request({ type: 'received', vendor });
    const bytes = reply.type === 'received' ? reply.bytes : 0;
    if (Math.abs(bytes - expected) > expected * 0.01)
      throw new Error(`the ${vendor} fake received ${bytes} bytes of audio, expected ${expected}`);
  }
}

async function benchTts(fakes: FakeProcess, urls: Endpoints): Promise<void> {
  for (const rateHz of RATES) {
    const sessions = await open<TTSService>(
      'tts',
      new BaseClassTTS('base'),
      (v) => v.tts?.create(urls.urls[v.name]!, urls.cas[v.name]),
      rateHz,
    );
    const queueSpeech = async (s: Session<TTSService>) => {
      if (!s.vendor) return;
      const shape: SpeechShape = {
        audioMs: SENTENCE_MS,
        chunkMs: CHUNK_MS,
        chunkDelayMs: CHUNK_DELAY_MS,
        rateHz: s.harness.processor.sampleRateHz,
        textChars: SENTENCE.length,
        text: SENTENCE,
      };
      await fakes.request({ type: 'speech', vendor: s.vendor, count: SENTENCES, shape });
    };
    await measure(sessions, queueSpeech, (s) => ttsRun(s, rateHz));
    await stop(sessions);
    print(
      sessions,
      `${rateHz / 1000} kHz, per ${FRAME_MS} ms of output audio (${SENTENCE_MS / 1000} s sentences, ${CHUNK_MS} ms chunks)`,
    );
  }
}

// SDKs load on first use: loaded here, so that the first session does not wait for them.
await preloadVendorSdks();
const { fakes, urls, pinned } = await FakeProcess.start();
console.log(
  `  (CPU of the adapter's process only, fakes in a child process${pinned ? ' on core 1' : ''}; median and range of ${RUNS} runs; ${gcEnabled ? 'GC before each run' : 'no --expose-gc'})`,
);
try {
  if (KINDS.includes('stt')) await benchStt(fakes, urls);
  if (KINDS.includes('tts')) await benchTts(fakes, urls);
} finally {
  fakes.stop();
}
