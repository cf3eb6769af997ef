/**
 * Simulates N simultaneous Twilio calls in this process and reports whether it keeps up in
 * real time, and what the framework adds to each turn. Each call: 20 ms µ-law `media`
 * messages (pre-encoded real speech, then silence, looped) → Twilio serializer → input
 * transport → Silero VAD → fake STT (a final transcript 300 ms after the VAD's stop) → user
 * turn processor → user aggregator → instant fake LLM → sentence aggregator → fake TTS →
 * output transport (paced) → Twilio serializer (encoded messages are dropped) → assistant
 * aggregator.
 * With --no-vad, the caller's speaking edges are injected at the clip's edges instead, so the
 * same turns (and replies) happen without Silero. No sockets: the figures are the framework's
 * cost, not the kernel's.
 *
 * Latency per turn (samples taken during the measured seconds only):
 * - input path: from the moment the clip's last media message was due (when a socket would
 *   have delivered it; or when it was sent, if up to 1 ms early) to the STT service receiving
 *   its audio: the framework's processing plus any wait for the busy event loop;
 * - STT → aggregator: from the fake STT emitting its final transcript (a timer at a known
 *   instant) to the user aggregator handling it;
 * - turn (input side): the sum of the two, per turn;
 * - VAD decision: from the window that completed the stop (its `probability()` call, made as
 *   its last frame arrived) to `user_stopped_speaking` reaching the STT: Silero's compute and
 *   batching wait (the `stopSecs` of silence the VAD needs by design is not counted);
 * - TTS → media: from the TTS yielding the first audio of a reply (when no audio is playing)
 *   to the output transport handing that audio to the serializer as a `media` message.
 *
 * Usage: node --import tsx bench/calls.ts <calls> <seconds> [options]; prints one JSON line.
 *   --no-vad                 no Silero (speaking edges injected)
 *   --vad-batch=off          Silero with each window run alone (no batching)
 *   --vad-wait=<ms>          Silero batching `maxWaitMs` (default: SileroVad's default)
 *   --call-seconds=<s>       each call lasts this long and is replaced by a new one
 *                            (the first calls' lengths are staggered); default: calls last
 *   --heap-every=<s>         with `node --expose-gc`: heapUsed after a full GC at the start
 *                            of the measured span, every <s> and at its end
 */
import path from 'node:path';
import { createHistogram, monitorEventLoopDelay, type RecordableHistogram } from 'node:perf_hooks';
import {
  AssistantContextAggregator,
  type Direction,
  type Frame,
  type FrameProcessor,
  frame,
  type HandlerResult,
  InputTransport,
  type LLMChunk,
  LLMContext,
  LLMService,
  OutputTransport,
  PipelineTask,
  pcmToMulaw,
  readWav,
  SentenceAggregator,
  type SileroBatchInfo,
  type SileroBatchOptions,
  SileroVad,
  STTService,
  UserContextAggregator,
  UserTurnProcessor,
  VADProcessor,
  type VadAnalyzer,
} from '@parley/pipeline';
import { FakeTTSService } from '@parley/services/testing';
import { TwilioSerializer } from '@parley/telephony';

class InstantLLM extends LLMService {
  constructor() {
    super('InstantLLM');
  }
  protected override async *streamCompletion(): AsyncIterable<LLMChunk> {
    yield { type: 'text', text: 'Thanks, I can help with that. ' };
    yield { type: 'text', text: 'What else would you like?' };
  }
}

function flag(name: string): string | undefined {
  const prefix = `--${name}=`;
  return process.argv.find((a) => a.startsWith(prefix))?.slice(prefix.length);
}

const calls = Number(process.argv[2] ?? 50);
const seconds = Number(process.argv[3] ?? 20);
const withVad = !process.argv.includes('--no-vad');
const batch: SileroBatchOptions | false | undefined =
  flag('vad-batch') === 'off'
    ? false
    : flag('vad-wait') !== undefined
      ? { maxWaitMs: Number(flag('vad-wait')) }
      : undefined;
const callSeconds = flag('call-seconds') === undefined ? undefined : Number(flag('call-seconds'));
const heapEverySec = flag('heap-every') === undefined ? undefined : Number(flag('heap-every'));
const WARMUP_MS = 4000;
const STT_DELAY_MS = 300;
/** Frames due within this are sent early (then they count as arrived when sent), ms. */
const LOOKAHEAD_MS = 1;

const clip = readWav(
  path.resolve(import.meta.dirname, '../test-fixtures/speech/8k/ast-vm-nobodyavail.wav'),
).pcm;
const streamSid = 'MZ00000000000000000000000000000001';
/** One loop of the caller's line: the clip, then 4 s of silence, as Twilio media messages. */
const loop: string[] = [];
const clipFrames = Math.floor(clip.length / 160);
{
  const samples = new Int16Array(clip.length + 4 * 8000);
  samples.set(clip);
  for (let i = 0; i + 160 <= samples.length; i += 160) {
    const payload = Buffer.from(pcmToMulaw(samples.subarray(i, i + 160))).toString('base64');
    loop.push(
      JSON.stringify({
        event: 'media',
        sequenceNumber: String(i / 160 + 2),
        streamSid,
        media: { track: 'inbound', chunk: String(i / 160 + 1), timestamp: String((i / 160) * 20), payload },
      }),
    );
  }
}
const startMessage = JSON.stringify({
  event: 'start',
  sequenceNumber: '1',
  streamSid,
  start: {
    streamSid,
    accountSid: 'AC00000000000000000000000000000001',
    callSid: 'CA00000000000000000000000000000001',
    tracks: ['inbound'],
    customParameters: {},
    mediaFormat: { encoding: 'audio/x-mulaw', sampleRate: 8000, channels: 1 },
  },
});

let sentBytes = 0;
let turns = 0;
let lateFrames = 0;
let frames = 0;
let callsStarted = 0;
/** True during the measured seconds: latency samples are kept only then. */
let measuring = false;

/** A latency distribution in constant memory (µs resolution), fed in ms. */
class Latency {
  private readonly h: RecordableHistogram = createHistogram();
  /** Record one sample, ms. */
  add(ms: number): void {
    this.h.record(Math.max(1, Math.round(ms * 1000)));
  }
  /** Count and p50/p99/max, ms (null without samples). */
  summary(): { n: number; p50: number | null; p99: number | null; max: number | null } {
    const n = this.h.count;
    const ms = (us: number) => (n > 0 ? us / 1000 : null);
    return { n, p50: ms(this.h.percentile(50)), p99: ms(this.h.percentile(99)), max: ms(this.h.max) };
  }
}

/** Latency samples of the measured seconds. */
const samples = {
  inputPath: new Latency(),
  sttToAggregator: new Latency(),
  turn: new Latency(),
  vadDecision: new Latency(),
  vadWindow: new Latency(),
  ttsToMedia: new Latency(),
};
const batchWait = new Latency();
const batchRun = new Latency();
let batchCount = 0;
let batchWindows = 0;

/** Per-call timestamps linking the stages of a turn. */
interface CallTimes {
  /** Audio of the clip's last media message, and when that message was due. */
  lastFrameAudio?: Int16Array;
  lastFrameDueAt?: number;
  /** Input path of this turn's last frame, ms. */
  inputPathMs?: number;
  /** When the deciding VAD window's analysis began (its `probability()` call). */
  windowStartedAt?: number;
  /** When the fake STT emitted the final transcript. */
  emittedAt?: number;
  /** When the TTS yielded the first audio of a reply, while no audio was playing. */
  ttsFirstAudioAt?: number;
}

/** Wraps the call's analyzer to time each window and remember the latest one's start. */
function timedAnalyzer(inner: VadAnalyzer, times: CallTimes): VadAnalyzer {
  return {
    sampleRateHz: inner.sampleRateHz,
    windowSamples: inner.windowSamples,
    async probability(window) {
      const t0 = performance.now();
      const p = await inner.probability(window);
      times.windowStartedAt = t0;
      if (measuring) samples.vadWindow.add(performance.now() - t0);
      return p;
    },
    reset: () => inner.reset(),
    dispose: () => inner.dispose(),
  };
}

/** A fake STT (a final transcript `STT_DELAY_MS` after each stop) that timestamps the turn. */
class BenchSTT extends STTService {
  private readonly timers = new Set<NodeJS.Timeout>();

  constructor(private readonly times: CallTimes) {
    super('BenchSTT');
  }

  protected override connect(): void {}

  protected override sendAudio(pcm: Int16Array): void {
    const t = this.times;
    if (pcm === t.lastFrameAudio && t.lastFrameDueAt !== undefined) {
      t.inputPathMs = performance.now() - t.lastFrameDueAt;
      if (measuring) samples.inputPath.add(t.inputPathMs);
      t.lastFrameAudio = undefined;
    }
  }

  protected override processFrame(f: Frame, direction: Direction): HandlerResult {
    if (f.type === 'vad_user_stopped_speaking' && measuring && this.times.windowStartedAt !== undefined) {
      samples.vadDecision.add(performance.now() - this.times.windowStartedAt);
    }
    return super.processFrame(f, direction);
  }

  /** The VAD's raw stop (or, without VAD, the injected edge): what a streaming STT finalizes on. */
  protected override onUserStoppedSpeaking(): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      this.times.emittedAt = performance.now();
      this.emitTranscript('hello there', true);
    }, STT_DELAY_MS);
    this.timers.add(timer);
  }

  protected override disconnect(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }
}

/** The user aggregator, timing the final transcript's arrival. */
class BenchUserAggregator extends UserContextAggregator {
  constructor(
    context: LLMContext,
    private readonly times: CallTimes,
  ) {
    super(context);
  }

  protected override processFrame(f: Frame, direction: Direction): HandlerResult {
    const t = this.times;
    if (f.type === 'transcription' && t.emittedAt !== undefined) {
      const ms = performance.now() - t.emittedAt;
      if (measuring) {
        samples.sttToAggregator.add(ms);
        if (t.inputPathMs !== undefined) samples.turn.add(t.inputPathMs + ms);
      }
      t.emittedAt = undefined;
      t.inputPathMs = undefined;
    }
    return super.processFrame(f, direction);
  }
}

/** The fake TTS, timing the first audio of each reply that starts while nothing plays. */
class BenchTTS extends FakeTTSService {
  output: OutputTransport | undefined;

  constructor(private readonly times: CallTimes) {
    super({ msPerChar: 60, toneHz: 0 }); // silence: generating a tone is the fake's cost, not the framework's
  }

  protected override async *synthesize(text: string, signal: AbortSignal): AsyncIterable<Int16Array> {
    let first = true;
    for await (const chunk of super.synthesize(text, signal)) {
      if (first && this.output && !this.output.botSpeaking && this.times.ttsFirstAudioAt === undefined) {
        this.times.ttsFirstAudioAt = performance.now();
      }
      first = false;
      yield chunk;
    }
  }
}

async function startCall(index: number, lifeMs: number | undefined): Promise<void> {
  callsStarted++;
  const times: CallTimes = {};
  const serializer = new TwilioSerializer();
  serializer.parse(startMessage);
  const input = new InputTransport();
  const context = new LLMContext([{ role: 'system', content: 'bench' }]);
  const tts = new BenchTTS(times);
  const output = new OutputTransport({
    sink: {
      sendAudio: (pcm, rate) => {
        sentBytes += serializer.encodeAudio(pcm, rate).length;
        if (times.ttsFirstAudioAt !== undefined) {
          if (measuring) samples.ttsToMedia.add(performance.now() - times.ttsFirstAudioAt);
          times.ttsFirstAudioAt = undefined;
        }
      },
      sendMark: (name) => {
        sentBytes += serializer.encodeMark(name).length;
      },
      clearAudio: () => {
        sentBytes += serializer.encodeClear().length;
      },
    },
  });
  tts.output = output;
  const processors: FrameProcessor[] = [
    input,
    ...(withVad
      ? [
          new VADProcessor({
            createAnalyzer: async (rate) =>
              timedAnalyzer(await SileroVad.create({ sampleRateHz: rate, batch }), times),
          }),
        ]
      : []),
    new BenchSTT(times),
    new UserTurnProcessor(),
    new BenchUserAggregator(context, times),
    new InstantLLM(),
    new SentenceAggregator(),
    tts,
    output,
    new AssistantContextAggregator(context),
  ];
  const task = new PipelineTask(processors, {
    observers: [
      { onFrame: (e) => e.frame.type === 'llm_response_end' && e.source.name === 'InstantLLM' && turns++ },
    ],
  });
  void task.run();
  let i = (index * 37) % loop.length; // callers are not in lockstep
  const t0 = performance.now();
  let n = 0;
  let timer: NodeJS.Timeout;
  const tick = () => {
    // Send every frame that is due (a late timer catches up, as a provider's burst would), or
    // due within LOOKAHEAD_MS: timers fire on whole ms, often a little early or late.
    const now = performance.now();
    const due = Math.floor((now - t0 + LOOKAHEAD_MS) / 20);
    if (due - n > 2) lateFrames += due - n - 1;
    while (n <= due) {
      const ev = serializer.parse(loop[i]!);
      if (ev.type === 'media') {
        if (i === clipFrames - 1) {
          times.lastFrameAudio = ev.audio;
          // It arrived when due, or when sent if that was earlier.
          times.lastFrameDueAt = Math.min(t0 + n * 20, now);
        }
        input.pushAudio(ev.audio, ev.sampleRateHz);
      }
      if (!withVad && i === 0) input.pushFrame(frame('user_started_speaking'));
      if (!withVad && i === clipFrames) input.pushFrame(frame('user_stopped_speaking'));
      i = (i + 1) % loop.length;
      n++;
      frames++;
    }
    if (lifeMs !== undefined && performance.now() - t0 >= lifeMs) {
      stop();
      stops.delete(index);
      void startCall(index + calls, callSeconds! * 1000); // the line is taken by the next caller
      return;
    }
    timer = setTimeout(tick, t0 + n * 20 - LOOKAHEAD_MS - performance.now());
  };
  const stop = () => {
    clearTimeout(timer);
    task.cancel('bench over');
  };
  stops.set(index, stop);
  timer = setTimeout(tick, Math.random() * 20);
}

const stops = new Map<number, () => void>();

const gc = (globalThis as { gc?: () => void }).gc;
if (withVad) await SileroVad.preload(); // the model is the process's, not the calls'
gc?.();
const rssBefore = process.memoryUsage().rss;
for (let c = 0; c < calls; c++) {
  // With churn, the first calls end at staggered times so that calls end evenly.
  await startCall(c, callSeconds === undefined ? undefined : (callSeconds * 1000 * (c + 1)) / calls);
  if (c % 10 === 9) await new Promise((r) => setTimeout(r, 20)); // ramp up
}
await new Promise((r) => setTimeout(r, WARMUP_MS));

const heap: number[] = [];
const heapNow = () => {
  gc!();
  return process.memoryUsage().heapUsed / 1e6;
};
if (heapEverySec !== undefined && !gc) throw new Error('--heap-every needs node --expose-gc');
if (heapEverySec !== undefined) heap.push(heapNow());
const heapTimer =
  heapEverySec === undefined ? undefined : setInterval(() => heap.push(heapNow()), heapEverySec * 1000);

let unsubscribe: (() => void) | undefined;
if (withVad) {
  const probe = await SileroVad.create({ sampleRateHz: 8000, batch });
  unsubscribe = probe.batcher.onBatch((b: SileroBatchInfo) => {
    batchCount++;
    batchWindows += b.size;
    batchWait.add(b.waitMs);
    batchRun.add(b.runMs);
  });
  probe.dispose();
}
const histogram = monitorEventLoopDelay({ resolution: 1 });
histogram.enable();
const cpu0 = process.cpuUsage();
const wall0 = performance.now();
const frames0 = frames;
const late0 = lateFrames;
const turns0 = turns;
const started0 = callsStarted;
measuring = true;
await new Promise((r) => setTimeout(r, seconds * 1000));
measuring = false;
histogram.disable();
const cpu = process.cpuUsage(cpu0);
const wallMs = performance.now() - wall0;
clearInterval(heapTimer);
if (heapEverySec !== undefined) heap.push(heapNow());
unsubscribe?.();
const rss = process.memoryUsage().rss;
for (const stop of stops.values()) stop();

const latency = Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, v.summary()]));
const wait = batchWait.summary();
const run = batchRun.summary();
console.log(
  JSON.stringify({
    calls,
    vad: withVad,
    batch: batch === false ? 'off' : (batch ?? 'default'),
    seconds,
    lagP50Ms: histogram.percentile(50) / 1e6,
    lagP99Ms: histogram.percentile(99) / 1e6,
    lagMaxMs: histogram.max / 1e6,
    cpuShare: (cpu.user + cpu.system) / 1000 / wallMs,
    framesPerSec: ((frames - frames0) * 1000) / wallMs,
    lateFrameShare: (lateFrames - late0) / Math.max(1, frames - frames0),
    turns: turns - turns0,
    callsStarted: callsStarted - started0,
    rssMb: rss / 1e6,
    rssPerCallMb: (rss - rssBefore) / 1e6 / Math.max(1, calls),
    heapMb: heap,
    sentMb: sentBytes / 1e6,
    latency,
    vadBatches: {
      count: batchCount,
      windowsPerBatchMean: batchWindows / Math.max(1, batchCount),
      waitP50Ms: wait.p50,
      waitP99Ms: wait.p99,
      runP50Ms: run.p50,
      runP99Ms: run.p99,
    },
  }),
);
process.exit(0);
