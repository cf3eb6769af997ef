/**
 * What a capacity-bench server reports to the orchestrator over IPC: event-loop lag, late input
 * frames, CPU and memory. Both the Parley server and the floor use it, so they are measured alike.
 *
 * Messages in: `{ cmd: 'reset' }` starts a measured span, `{ cmd: 'report' }` answers with a
 * {@link ProbeReport}. Out: `{ ready: true, url, rssMb }` once listening (see {@link announce}).
 * With `BENCH_CAPACITY_PROFILE_DIR` set, the measured span is CPU-profiled (V8's sampling
 * profiler, 200 µs) into `<dir>/<server>-<pid>.cpuprofile`, and its allocations sampled (every
 * 32 KiB, objects that died young included: what drives the scavenges) into
 * `<dir>/<server>-<pid>.heapprofile` (open both in Chrome's DevTools).
 */
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import path from 'node:path';
import { constants, monitorEventLoopDelay, PerformanceObserver } from 'node:perf_hooks';
import { GcTally, InputLateness, mediaTimestampMs } from './measures.ts';

/** A measured span's figures, as the server saw them. */
export interface ProbeReport {
  readonly lagP50Ms: number;
  readonly lagP99Ms: number;
  readonly lagMaxMs: number;
  readonly inputFrames: number;
  readonly lateInputFrames: number;
  /** CPU time (user + system, every thread) over wall time: 1 = one core. */
  readonly cpuShare: number;
  readonly rssMb: number;
  readonly wallMs: number;
  /** Garbage-collection pause time over the span, ms. */
  readonly gcMs: number;
  /** Longest garbage-collection pause, ms. */
  readonly gcMaxMs: number;
  /** Major (mark-compact) collections in the span. */
  readonly majorGcs: number;
}

/** Measures this process; call {@link frame} for each provider message as the server handles it. */
export class ServerProbe {
  private readonly lag = monitorEventLoopDelay({ resolution: 5 });
  private gc = new GcTally();
  private readonly streams = new WeakMap<object, InputLateness>();
  private frames = 0;
  private late = 0;
  private cpu = process.cpuUsage();
  private startMs = performance.now();
  private readonly profileDir = process.env.BENCH_CAPACITY_PROFILE_DIR;
  private profiler: Session | undefined;

  constructor(private readonly name: string) {
    this.lag.enable();
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) {
        const kind = (e as { detail?: { kind?: number } }).detail?.kind;
        this.gc.add(e.duration, kind === constants.NODE_PERFORMANCE_GC_MAJOR);
      }
    }).observe({ entryTypes: ['gc'] });
    process.on('message', (m: { cmd?: string }) => {
      if (m.cmd === 'reset') this.reset();
      else if (m.cmd === 'report') {
        process.send?.({ report: this.report() });
        this.writeProfile();
      }
    });
  }

  /** A message of `stream` handled now; only `media` messages (with a timestamp) count. */
  frame(stream: object, message: Buffer): void {
    const ts = mediaTimestampMs(message);
    if (ts === undefined) return;
    let meter = this.streams.get(stream);
    if (!meter) {
      meter = new InputLateness(20);
      this.streams.set(stream, meter);
    }
    this.frames++;
    if (meter.frame(performance.now(), ts)) this.late++;
  }

  /** Tells the orchestrator where to call. */
  announce(url: string): void {
    process.send?.({ ready: true, url, rssMb: settledRssMb() });
  }

  private reset(): void {
    // Profilers first: starting them costs CPU that is not the server's.
    if (this.profileDir && !this.profiler) {
      this.profiler = new Session();
      this.profiler.connect();
      this.profiler.post('Profiler.enable');
      this.profiler.post('Profiler.setSamplingInterval', { interval: 200 });
      this.profiler.post('Profiler.start');
      this.profiler.post('HeapProfiler.startSampling', {
        samplingInterval: 32 * 1024,
        includeObjectsCollectedByMajorGC: true,
        includeObjectsCollectedByMinorGC: true,
      });
    }
    this.lag.reset();
    this.gc = new GcTally();
    this.frames = 0;
    this.late = 0;
    this.cpu = process.cpuUsage();
    this.startMs = performance.now();
  }

  private writeProfile(): void {
    const session = this.profiler;
    const dir = this.profileDir;
    if (!session || !dir) return;
    this.profiler = undefined;
    const file = path.join(dir, `${this.name}-${process.pid}`);
    session.post('Profiler.stop', (err, result) => {
      if (!err) writeFileSync(`${file}.cpuprofile`, JSON.stringify(result.profile));
      session.post('HeapProfiler.stopSampling', (heapErr, heap) => {
        if (!heapErr) writeFileSync(`${file}.heapprofile`, JSON.stringify(heap.profile));
        session.disconnect();
      });
    });
  }

  private report(): ProbeReport {
    const wallMs = performance.now() - this.startMs;
    const cpu = process.cpuUsage(this.cpu);
    const gc = this.gc; // read before settledRssMb's own full collection
    return {
      lagP50Ms: this.lag.percentile(50) / 1e6,
      lagP99Ms: this.lag.percentile(99) / 1e6,
      lagMaxMs: this.lag.max / 1e6,
      inputFrames: this.frames,
      lateInputFrames: this.late,
      cpuShare: (cpu.user + cpu.system) / 1000 / wallMs,
      gcMs: gc.totalMs,
      gcMaxMs: gc.maxMs,
      majorGcs: gc.major,
      rssMb: settledRssMb(),
      wallMs,
    };
  }
}

/** RSS after a full GC when the process runs with `--expose-gc` (start-up garbage is not counted), MB. */
function settledRssMb(): number {
  (globalThis as { gc?: () => void }).gc?.();
  return process.memoryUsage().rss / 2 ** 20;
}
