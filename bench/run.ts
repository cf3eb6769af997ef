/**
 * `npm run bench`: every benchmark, printed as `name: value unit` lines (issue #3's targets
 * are checked where they apply). Every step but the first runs in a fresh child process,
 * pinned to one core with taskset when available.
 * 1. µs per hop through 10 pass-through processors.
 * 2. Silero inference per window, batched (B = 1, 10, 50, 100) and unbatched; batched vs
 *    one-stream probabilities on real speech.
 * 3. Simultaneous simulated Twilio calls kept in real time on one core (event-loop lag p99
 *    under 20 ms and under 1% late frames): with batched Silero VAD, with unbatched Silero
 *    VAD, and without VAD. Calls are added step by step; RSS per call at the best step.
 * 4. The batching window's cost at 100 calls: `maxWaitMs` 0, 2 and 4.
 * 5. Framework-added latency per turn at 100 calls with Silero VAD (see `calls.ts`), after
 *    the machine's floor (the event-loop lag of an idle process).
 * 6. Soak: 50 simultaneous calls (each lasting BENCH_SOAK_CALL_SECONDS, then replaced by a new
 *    one; 0 keeps the same calls) for BENCH_SOAK_MINUTES; heapUsed after a full GC at the
 *    start, every minute and at the end.
 * 7. The call recorder's synchronous cost per 20 ms caller frame, 20 recorders writing at once.
 * 8. Hostile input: deeply nested JSON in media-stream messages and request bodies, against
 *    flat ones of the same size (see `hostile-input.ts`).
 * 9. Vendor adapters on the hot path: CPU µs per 20 ms caller frame through each streaming STT
 *    adapter and per 20 ms of audio out of each TTS adapter, against their loopback fakes (run
 *    in a child process), and the ratio to the bare base classes (see `vendor-cost.ts`).
 *
 * `npm run bench -- capacity [--quick]` runs the end-to-end capacity bench instead
 * (`capacity/capacity.ts`: the real server against a floor, with a caller emulator).
 *
 * Environment: BENCH_SECONDS (per capacity step, default 15), BENCH_MAX_CALLS (default 400),
 * BENCH_LATENCY_SECONDS (default 60), BENCH_SOAK_MINUTES (default 10; 0 skips the soak),
 * BENCH_SOAK_CALL_SECONDS (default 120), BENCH_ONLY (comma-separated section numbers).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import path from 'node:path';
import { printFigure } from './report.ts';

const here = import.meta.dirname;
const root = path.resolve(here, '..');
if (process.argv[2] === 'capacity') {
  // End-to-end capacity on the real server (see capacity/capacity.ts), instead of the sections below.
  const r = spawnSync(
    process.execPath,
    ['--import', 'tsx', path.join(here, 'capacity/capacity.ts'), ...process.argv.slice(3)],
    { cwd: root, stdio: 'inherit' },
  );
  process.exit(r.status ?? 1);
}
const seconds = Number(process.env.BENCH_SECONDS ?? 15);
const maxCalls = Number(process.env.BENCH_MAX_CALLS ?? 400);
const latencySeconds = Number(process.env.BENCH_LATENCY_SECONDS ?? 60);
const soakMinutes = Number(process.env.BENCH_SOAK_MINUTES ?? 10);
const soakCallSeconds = Number(process.env.BENCH_SOAK_CALL_SECONDS ?? 120);
const only = process.env.BENCH_ONLY?.split(',').map(Number);
const section = (n: number) => !only || only.includes(n);

interface LatencyFigure {
  n: number;
  p50: number | null;
  p99: number | null;
  max: number | null;
}

interface Step {
  calls: number;
  lagP99Ms: number;
  cpuShare: number;
  lateFrameShare: number;
  rssMb: number;
  rssPerCallMb: number;
  heapMb: number[];
  turns: number;
  callsStarted: number;
  latency: Record<
    'inputPath' | 'sttToAggregator' | 'turn' | 'vadDecision' | 'vadWindow' | 'ttsToMedia',
    LatencyFigure
  >;
  vadBatches: {
    count: number;
    windowsPerBatchMean: number;
    runP50Ms: number | null;
    runP99Ms: number | null;
  };
}

function hasTaskset(): boolean {
  try {
    execFileSync('taskset', ['-c', '0', 'true']);
    return true;
  } catch {
    return false;
  }
}
const pinned = hasTaskset();

/** Runs a bench script in a fresh Node (with tsx), pinned to core 0 when possible. */
function runScript(
  script: string,
  args: string[],
  options: { nodeFlags?: string[]; timeoutMs: number; inherit?: boolean },
): string {
  const nodeArgs = [...(options.nodeFlags ?? []), '--import', 'tsx', path.join(here, script), ...args];
  const r = spawnSync(
    pinned ? 'taskset' : process.execPath,
    pinned ? ['-c', '0', process.execPath, ...nodeArgs] : nodeArgs,
    {
      cwd: root,
      encoding: 'utf8',
      timeout: options.timeoutMs,
      stdio: options.inherit ? ['ignore', 'inherit', 'inherit'] : 'pipe',
    },
  );
  if (r.status !== 0)
    throw new Error(`${script} ${args.join(' ')} failed (${r.status}): ${r.stderr?.slice(-800)}`);
  return r.stdout ?? '';
}

function runCalls(calls: number, secs: number, extra: string[], nodeFlags: string[] = []): Step {
  const out = runScript('calls.ts', [String(calls), String(secs), ...extra], {
    nodeFlags,
    timeoutMs: (secs + 120) * 1000,
  });
  const line = out.trim().split('\n').at(-1) ?? '';
  return JSON.parse(line) as Step;
}

const realTime = (s: Step) => s.lagP99Ms < 20 && s.lateFrameShare < 0.01;
const fixed = (v: number | null, d = 2) => (v === null ? 'n/a' : v.toFixed(d));

function capacity(label: string, extra: string[], target: number | undefined): void {
  let best: Step | undefined;
  for (let calls = 25; calls <= maxCalls; calls += calls < 100 ? 25 : 50) {
    const step = runCalls(calls, seconds, extra);
    console.log(
      `  ${label} ${calls} calls: lag p99 ${step.lagP99Ms.toFixed(1)} ms, cpu ${(step.cpuShare * 100).toFixed(0)}% of a core, late frames ${(step.lateFrameShare * 100).toFixed(2)}%, rss ${step.rssMb.toFixed(0)} MB${step.vadBatches.count > 0 ? `, ${step.vadBatches.windowsPerBatchMean.toFixed(1)} windows per inference` : ''}`,
    );
    if (!realTime(step)) break;
    best = step;
  }
  if (!best) {
    console.log(`calls in real time on one core (${label}): fewer than 25`);
    return;
  }
  printFigure(`calls in real time on one core (${label})`, best.calls, 'calls', {
    baseline: 30,
    baselineName: 'Pipecat 1.7 without VAD (30)',
    higherIsBetter: true,
    ...(target !== undefined ? { target } : {}),
  });
  printFigure(`rss per call (${label}, at ${best.calls} calls)`, best.rssPerCallMb, 'MB', { target: 10 });
}

function printLatency(name: string, f: LatencyFigure, target?: number): void {
  if (f.p50 === null || f.p99 === null) {
    console.log(`${name}: no samples`);
    return;
  }
  printFigure(`${name} p50`, f.p50, 'ms');
  printFigure(`${name} p99`, f.p99, 'ms', target !== undefined ? { target } : {});
}

if (section(1)) {
  console.log('# µs per hop (10 pass-through processors)');
  runScript('hop.ts', [], { timeoutMs: 600_000, inherit: true });
}

if (section(2)) {
  console.log(`# Silero v5 inference per 32 ms window at 8 kHz${pinned ? ', pinned to one core' : ''}`);
  runScript('silero-batch.ts', [], { timeoutMs: 600_000, inherit: true });
}

if (section(3)) {
  console.log(`# simultaneous Twilio calls, ${seconds} s per step${pinned ? ', pinned to one core' : ''}`);
  capacity('Silero VAD', [], 100);
  capacity('Silero VAD unbatched', ['--vad-batch=off'], undefined);
  capacity('no VAD', ['--no-vad'], 300);
}

if (section(4)) {
  console.log(`# Silero batching window at 100 calls, ${seconds} s each`);
  for (const wait of [0, 2, 4]) {
    const s = runCalls(100, seconds, [`--vad-wait=${wait}`]);
    const w = s.latency.vadWindow;
    console.log(
      `silero maxWaitMs ${wait} at 100 calls: ${s.vadBatches.windowsPerBatchMean.toFixed(1)} windows per inference, cpu ${(s.cpuShare * 100).toFixed(0)}% of a core, lag p99 ${s.lagP99Ms.toFixed(1)} ms, window → probability p50 ${fixed(w.p50)} ms, p99 ${fixed(w.p99)} ms`,
    );
  }
}

if (section(5)) {
  console.log(`# framework-added latency per turn, 100 calls with Silero VAD, ${latencySeconds} s`);
  const idle = JSON.parse(
    runScript('idle.ts', [String(seconds)], { timeoutMs: (seconds + 60) * 1000 })
      .trim()
      .split('\n')
      .at(-1)!,
  ) as { lagP99Ms: number; lagMaxMs: number };
  console.log(
    `  (the machine's floor: an idle Node process on the same core sees event-loop lag p99 ${idle.lagP99Ms.toFixed(1)} ms, max ${idle.lagMaxMs.toFixed(1)} ms over ${seconds} s)`,
  );
  const s = runCalls(100, latencySeconds, []);
  console.log(
    `  (${s.latency.turn.n} turns; lag p99 ${s.lagP99Ms.toFixed(1)} ms, cpu ${(s.cpuShare * 100).toFixed(0)}% of a core, ${s.vadBatches.windowsPerBatchMean.toFixed(1)} windows per inference)`,
  );
  printLatency(
    'added latency per turn, last caller frame → STT-final handled by the aggregator',
    s.latency.turn,
    5,
  );
  printLatency('  of which input path, last frame due → STT', s.latency.inputPath);
  printLatency('  of which STT final emitted → user aggregator', s.latency.sttToAggregator);
  printLatency('added latency per turn, TTS first audio → first media message', s.latency.ttsToMedia, 5);
  printLatency('VAD decision, deciding window → user_stopped_speaking at the STT', s.latency.vadDecision);
  printFigure('rss per call (Silero VAD, at 100 calls)', s.rssPerCallMb, 'MB', { target: 10 });
}

if (section(6) && soakMinutes > 0) {
  console.log(
    `# soak: 50 calls with Silero VAD for ${soakMinutes} min${soakCallSeconds > 0 ? `, each call ${soakCallSeconds} s then replaced` : ''}`,
  );
  const s = runCalls(
    50,
    soakMinutes * 60,
    [...(soakCallSeconds > 0 ? [`--call-seconds=${soakCallSeconds}`] : []), '--heap-every=60'],
    ['--expose-gc'],
  );
  const heap = s.heapMb;
  const start = heap[0]!;
  const end = heap.at(-1)!;
  console.log(`  heapUsed after GC, MB, every minute: ${heap.map((h) => h.toFixed(1)).join(' ')}`);
  console.log(
    `  ${s.callsStarted} calls started during the soak, ${s.turns} turns; lag p99 ${s.lagP99Ms.toFixed(1)} ms`,
  );
  printFigure('soak heap after GC at start', start, 'MB');
  printFigure('soak heap after GC at end', end, 'MB');
  printFigure(`soak heap growth over ${soakMinutes} min`, end - start, 'MB');
  // Least-squares slope over the minute samples: steadier than two points.
  const n = heap.length;
  const xm = (n - 1) / 2;
  const ym = heap.reduce((a, b) => a + b, 0) / n;
  let num = 0;
  let den = 0;
  for (let i = 0; i < n; i++) {
    num += (i - xm) * (heap[i]! - ym);
    den += (i - xm) ** 2;
  }
  printFigure('soak heap trend', den > 0 ? num / den : 0, 'MB per minute');
  printFigure('soak rss per call', s.rssPerCallMb, 'MB', { target: 10 });
}

if (section(7)) {
  console.log(
    `# call recorder, µs per 20 ms caller frame, 20 recorders${pinned ? ', pinned to one core' : ''}`,
  );
  runScript('recorder.ts', [], { timeoutMs: 600_000, inherit: true });
}

if (section(8)) {
  console.log('# hostile input: nested JSON in stream messages and request bodies, against flat');
  runScript('hostile-input.ts', [], { timeoutMs: 600_000, inherit: true });
}

if (section(9)) {
  console.log(`# vendor adapters, CPU µs on the hot path${pinned ? ', pinned to one core' : ''}`);
  runScript('vendor-cost.ts', [], { nodeFlags: ['--expose-gc'], timeoutMs: 600_000, inherit: true });
}
