/**
 * `npm run bench -- capacity [--quick]`: end-to-end call capacity of the real server, against a
 * do-nothing floor measured in the same run.
 *
 * Per point (a server, N calls, one run), in fresh processes: the server under test (pinned to
 * core 0 with taskset when available), the caller emulator (core 1) and, for Parley, the fake
 * LLM (core 1). The emulator opens N Twilio calls (webhook → one-time token → WebSocket) and
 * streams real speech in real time; after a warm-up the server's probe and the emulator measure
 * for a span: event-loop lag p50/p99, late input frames (handled over 20 ms after due), outbound
 * underruns (a chunk arriving after the previous one finished playing, inside a sentence) and
 * gaps, reply latency (the caller's last spoken frame → the bot's first audio), CPU and RSS per
 * call. A point holds when lag p99 < 20 ms, late input < 1% and underruns < 1% of chunks; a
 * server's capacity is the largest N at which every run held. N grows until no run holds.
 *
 * Servers: Parley with Silero VAD (the server as shipped), Parley without local VAD (the
 * speaking edges come from the STT, as with a cloud STT: see `parley-server.ts --no-vad`) and
 * the floor (`floor-server.ts`).
 *
 * Options: --quick (a smoke run: two small points, 6 s spans, one run each);
 * env BENCH_CAPACITY_SECONDS (span, default 20), BENCH_CAPACITY_RUNS (default 3),
 * BENCH_CAPACITY_STEPS (comma-separated N, default 25,50,75,100,150,200,250,300,400,500,600,800),
 * BENCH_CAPACITY_SERVERS (comma-separated: parley,parley-no-vad,floor),
 * BENCH_CAPACITY_SERVER_NODE_FLAGS (Node flags of the servers), BENCH_CAPACITY_PROFILE_DIR (CPU
 * profiles of each measured span, see `server-probe.ts`).
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { CallerReport } from './caller.ts';
import type { ProbeReport } from './server-probe.ts';

const here = import.meta.dirname;
const root = path.resolve(here, '../..');
const quick = process.argv.includes('--quick');
const spanSecs = quick ? 6 : Number(process.env.BENCH_CAPACITY_SECONDS ?? 20);
const warmupSecs = quick ? 3 : 8;
const runs = quick ? 1 : Number(process.env.BENCH_CAPACITY_RUNS ?? 3);
const steps = quick
  ? [10, 25]
  : (process.env.BENCH_CAPACITY_STEPS ?? '25,50,75,100,150,200,250,300,400,500,600,800')
      .split(',')
      .map(Number);
/** Node flags for the servers under test, e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof` to profile them. */
const serverNodeFlags = (process.env.BENCH_CAPACITY_SERVER_NODE_FLAGS ?? '').split(' ').filter(Boolean);
const servers = (process.env.BENCH_CAPACITY_SERVERS ?? 'parley,parley-no-vad,floor').split(
  ',',
) as ServerName[];

type ServerName = 'parley' | 'parley-no-vad' | 'floor';
const SERVER_SCRIPTS: Record<ServerName, { script: string; args: string[] }> = {
  parley: { script: 'parley-server.ts', args: [] },
  'parley-no-vad': { script: 'parley-server.ts', args: ['--no-vad'] },
  floor: { script: 'floor-server.ts', args: [] },
};

function hasTaskset(): boolean {
  try {
    execFileSync('taskset', ['-c', '0', 'true']);
    return true;
  } catch {
    return false;
  }
}
const pinned = hasTaskset() && availableParallelism() >= 2;

/** A bench child with an IPC channel, pinned to `core` when taskset is there. */
function start(script: string, args: string[], core: number, nodeFlags: string[] = []): ChildProcess {
  const nodeArgs = [...nodeFlags, '--import', 'tsx', path.join(here, script), ...args];
  const [cmd, argv] = pinned
    ? ['taskset', ['-c', String(core), process.execPath, ...nodeArgs]]
    : [process.execPath, nodeArgs];
  return spawn(cmd as string, argv as string[], {
    cwd: root,
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
}

/** The next IPC message with `key`, within `timeoutMs`. */
function message<T>(child: ChildProcess, key: string, timeoutMs: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => done(new Error(`no ${key} from the child within ${timeoutMs} ms`)),
      timeoutMs,
    );
    const onMessage = (m: Record<string, unknown>) => {
      if (key in m) done(undefined, m as T);
    };
    const onExit = (code: number | null) => done(new Error(`the child exited (${code}) before ${key}`));
    const done = (err?: Error, value?: T) => {
      clearTimeout(timer);
      child.off('message', onMessage);
      child.off('exit', onExit);
      if (err) reject(err);
      else resolve(value!);
    };
    child.on('message', onMessage);
    child.on('exit', onExit);
  });
}

/** Disconnects `child` (it exits by itself, writing a `--cpu-prof` profile), killing it after 10 s. */
async function stop(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  if (child.connected) child.disconnect();
  const timer = setTimeout(() => child.kill(), 10_000);
  await exited;
  clearTimeout(timer);
}

/** One point's figures. */
interface Point {
  readonly server: ServerName;
  readonly calls: number;
  readonly probe: ProbeReport;
  readonly caller: CallerReport;
  readonly baseRssMb: number;
}

const lateShare = (p: Point) => p.probe.lateInputFrames / Math.max(1, p.probe.inputFrames);
const underrunShare = (p: Point) => p.caller.underruns / Math.max(1, p.caller.chunks);
const holds = (p: Point) =>
  p.probe.lagP99Ms < 20 && lateShare(p) < 0.01 && underrunShare(p) < 0.01 && p.caller.closedEarly === 0;

async function measure(server: ServerName, calls: number, llmUrl: string): Promise<Point> {
  let srv: ChildProcess | undefined;
  let caller: ChildProcess | undefined;
  try {
    const { script, args } = SERVER_SCRIPTS[server];
    srv = start(script, server === 'floor' ? args : [llmUrl, ...args], 0, [
      '--expose-gc',
      ...serverNodeFlags,
    ]);
    // Generous: loading the server (TypeScript through tsx, PGlite) is slow on a busy machine.
    const ready = await message<{ url: string; rssMb: number }>(srv, 'ready', 300_000);
    caller = start('caller.ts', [ready.url, String(calls)], 1);
    await message(caller, 'ready', 60_000 + calls * 200);
    await sleep(warmupSecs * 1000);
    srv.send({ cmd: 'reset' });
    caller.send({ cmd: 'start' });
    await sleep(spanSecs * 1000);
    caller.send({ cmd: 'report' });
    srv.send({ cmd: 'report' });
    const [c, p] = await Promise.all([
      message<{ report: CallerReport }>(caller, 'report', 30_000),
      message<{ report: ProbeReport }>(srv, 'report', 30_000), // after the span, so its GC costs nothing measured
    ]);
    return { server, calls, probe: p.report, caller: c.report, baseRssMb: ready.rssMb };
  } finally {
    await Promise.all([stop(caller), stop(srv)]);
  }
}

const f = (v: number | null, d = 1) => (v === null ? 'n/a' : v.toFixed(d));

function row(p: Point, run: number): string {
  const cpuPerCall = (p.probe.cpuShare * 100) / p.calls;
  const rssPerCall = (p.probe.rssMb - p.baseRssMb) / p.calls;
  return [
    p.server.padEnd(13),
    String(p.calls).padStart(5),
    String(run).padStart(3),
    f(p.probe.lagP50Ms).padStart(7),
    f(p.probe.lagP99Ms).padStart(7),
    f(p.probe.lagMaxMs, 0).padStart(7),
    (lateShare(p) * 100).toFixed(2).padStart(7),
    (underrunShare(p) * 100).toFixed(2).padStart(7),
    f(p.caller.gapMaxMs, 0).padStart(7),
    `${f(p.caller.replyP50Ms, 0)}/${f(p.caller.replyP99Ms, 0)}`.padStart(11),
    (p.probe.cpuShare * 100).toFixed(0).padStart(5),
    cpuPerCall.toFixed(3).padStart(8),
    rssPerCall.toFixed(2).padStart(7),
    f(p.caller.senderLateP99Ms).padStart(7),
    `${f((p.probe.gcMs * 1000) / p.probe.wallMs)}/${f(p.probe.gcMaxMs, 0)}/${p.probe.majorGcs}`.padStart(15),
    holds(p) ? 'yes' : 'no',
  ].join(' ');
}

const HEADER = [
  'server'.padEnd(13),
  'calls'.padStart(5),
  'run'.padStart(3),
  'lag p50'.padStart(7),
  'lag p99'.padStart(7),
  'lag max'.padStart(7),
  'late %'.padStart(7),
  'under %'.padStart(7),
  'gap max'.padStart(7),
  'reply p50/99'.padStart(11),
  'cpu %'.padStart(5),
  'cpu/call'.padStart(8),
  'MB/call'.padStart(7),
  'emu p99'.padStart(7),
  'gc ms/s/max/maj'.padStart(15),
  'holds',
].join(' ');

console.log(
  `# end-to-end capacity: Twilio calls on the real server vs the floor, ${spanSecs} s spans after ${warmupSecs} s warm-up, ${runs} run(s) per point${pinned ? '; server on core 0, emulator and fake LLM on core 1' : ' (not pinned: taskset or a second core missing)'}${quick ? ' (--quick: a smoke run, not a measurement)' : ''}`,
);
console.log(
  '# lag, gap and reply in ms; late input and underruns in % of frames and chunks; cpu in % of one core; gc: pause ms per second, longest pause ms, major collections',
);
console.log(HEADER);

const llm = start('fake-llm.ts', [], 1);
try {
  const { url: llmUrl } = await message<{ url: string }>(llm, 'ready', 60_000);
  const capacity = new Map<ServerName, { calls: number; point: Point | undefined }>();
  for (const server of servers) {
    let best: Point | undefined;
    for (const calls of steps) {
      const points: Point[] = [];
      for (let run = 1; run <= runs; run++) {
        const p = await measure(server, calls, llmUrl);
        points.push(p);
        console.log(row(p, run));
      }
      const held = points.filter(holds).length;
      if (held === runs) best = points.find(holds) ?? best;
      else console.log(`  ${server} at ${calls} calls: ${held} of ${runs} runs held`);
      if (held === 0) break;
    }
    capacity.set(server, { calls: best?.calls ?? 0, point: best });
  }
  console.log(
    '# capacity: largest N where every run held (lag p99 < 20 ms, late input < 1%, underruns < 1%)',
  );
  const floor = capacity.get('floor')?.point;
  const floorCpu = floor ? floor.probe.cpuShare / floor.calls : undefined;
  for (const [server, { calls, point }] of capacity) {
    if (!point) {
      console.log(`calls per core (${server}): fewer than ${steps[0]}`);
      continue;
    }
    const cpuPerCall = point.probe.cpuShare / point.calls;
    const ratio =
      floorCpu !== undefined && server !== 'floor'
        ? ` (${(cpuPerCall / floorCpu).toFixed(1)}× the floor)`
        : '';
    console.log(
      `calls per core (${server}): ${calls} calls${calls === steps.at(-1) ? ' (the largest step tried)' : ''}`,
    );
    console.log(
      `cpu per call (${server}, at ${calls} calls): ${(cpuPerCall * 100).toFixed(3)} % of a core${ratio}`,
    );
    console.log(
      `rss per call (${server}, at ${calls} calls): ${((point.probe.rssMb - point.baseRssMb) / calls).toFixed(2)} MB`,
    );
    if (point.caller.replyP50Ms !== null)
      console.log(
        `reply latency (${server}, at ${calls} calls): p50 ${f(point.caller.replyP50Ms, 0)} ms, p99 ${f(point.caller.replyP99Ms, 0)} ms`,
      );
  }
} finally {
  await stop(llm);
}
