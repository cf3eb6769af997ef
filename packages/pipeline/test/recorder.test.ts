import { existsSync, readdirSync, readlinkSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CallRecorder, frame, ProcessorHarness, readWav, WavWriteError } from '../src/index.ts';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'parley-recorder-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const caller = (value: number) =>
  frame('input_audio', { audio: new Int16Array(160).fill(value), sampleRateHz: 8000, channels: 1 });
const bot = (value: number, samples = 160) =>
  frame('output_audio', { audio: new Int16Array(samples).fill(value), sampleRateHz: 8000, channels: 1 });

/** This process's open descriptors: how many, and how many point into `folder`. */
function openFds(folder: string): { total: number; inFolder: number } {
  let inFolder = 0;
  const fds = readdirSync('/proc/self/fd');
  for (const fd of fds) {
    try {
      if (readlinkSync(`/proc/self/fd/${fd}`).startsWith(folder)) inFolder++;
    } catch {
      // closed while we looked (the readdir's own descriptor)
    }
  }
  return { total: fds.length, inFolder };
}

/** The data size a WAV file's header states, bytes. */
async function headerDataBytes(file: string): Promise<number> {
  return (await readFile(file)).readUInt32LE(40);
}

describe('CallRecorder', () => {
  it('writes caller (left) and bot (right) time-aligned on the caller clock', async () => {
    const file = path.join(dir, '2026', '11', 'call.wav');
    const recorder = new CallRecorder(file);
    const h = new ProcessorHarness(recorder);
    await h.start();
    h.send(caller(100)); // 0–20 ms: caller only
    h.send(bot(7)); // sent while the caller is at 20 ms: lands at 20 ms
    h.send(caller(200)); // 20–40 ms
    h.send(caller(300)); // 40–60 ms
    h.send(bot(9, 240)); // 30 ms more bot audio, at 60 ms: runs past the caller's last frame
    h.send(frame('end', { reason: 'done' }));
    await h.waitFor('end');
    const wav = readWav(file);
    expect(wav.channels).toBe(2);
    expect(wav.sampleRateHz).toBe(8000);
    const frames = wav.pcm.length / 2;
    expect(frames).toBe(480 + 240); // 60 ms of caller + the bot's 30 ms tail
    const left = (i: number) => wav.pcm[i * 2];
    const right = (i: number) => wav.pcm[i * 2 + 1];
    expect([left(0), right(0)]).toEqual([100, 0]);
    expect([left(160), right(160)]).toEqual([200, 7]);
    expect([left(320), right(320)]).toEqual([300, 0]);
    expect([left(480), right(480)]).toEqual([0, 9]);
    expect(await recorder.finish()).toMatchObject({ path: file, durationMs: 90, channels: 2 });
  });

  it('keeps the call going without a recording when the file cannot be created', async () => {
    const blocker = path.join(dir, 'not-a-dir');
    await writeFile(blocker, 'x');
    const recorder = new CallRecorder(path.join(blocker, 'call.wav'));
    const h = new ProcessorHarness(recorder);
    await h.start();
    h.send(caller(1));
    expect(h.ofType('input_audio')).toHaveLength(1);
    const error = await h.waitFor('error', { side: 'upstream' });
    expect(error.fatal).toBe(false);
    h.send(caller(2)); // dropped quietly: one error per recording
    await expect(recorder.finish()).rejects.toBeInstanceOf(WavWriteError);
    expect(h.ofType('input_audio')).toHaveLength(2);
    expect(h.ofType('error', 'upstream')).toHaveLength(1);
  });

  it('leaves no file and resolves "no audio" when the call ends before any audio', async () => {
    const file = path.join(dir, 'silent.wav');
    const recorder = new CallRecorder(file);
    const h = new ProcessorHarness(recorder);
    await h.start();
    h.send(frame('cancel', { reason: 'caller_hung_up' }));
    expect(await recorder.finish()).toBeUndefined();
    expect(existsSync(file)).toBe(false);
  });

  it('ignores a start and audio that come after finish() (the call was already stored)', async () => {
    const file = path.join(dir, 'late-start.wav');
    const recorder = new CallRecorder(file);
    const h = new ProcessorHarness(recorder);
    expect(await recorder.finish()).toBeUndefined();
    await h.start();
    h.send(caller(5));
    h.send(bot(5));
    h.send(frame('end', { reason: 'done' }));
    await h.waitFor('end');
    expect(h.ofType('input_audio')).toHaveLength(1); // still passes through
    expect(existsSync(file)).toBe(false);
    expect(openFds(dir).inFolder).toBe(0);
  });

  it('keeps the audio of a call that ends while its file is still being created', async () => {
    const file = path.join(dir, 'first-ms.wav');
    const recorder = new CallRecorder(file);
    const h = new ProcessorHarness(recorder);
    await h.start();
    h.send(bot(22, 80)); // the greeting's first 10 ms: the file is created in the background
    h.send(caller(11));
    h.send(frame('cancel', { reason: 'caller_hung_up' })); // stops the recorder at once
    const info = await recorder.finish();
    expect(info).toMatchObject({ path: file, durationMs: 20 });
    const wav = readWav(file);
    expect(wav.pcm.length).toBe(320);
    expect([wav.pcm[0], wav.pcm[1], wav.pcm[300], wav.pcm[301]]).toEqual([11, 22, 11, 0]);
    expect(openFds(dir).inFolder).toBe(0);
  });

  it('rewrites the header as the call goes, so the file is playable before it is closed', async () => {
    const file = path.join(dir, 'live.wav');
    const recorder = new CallRecorder(file, { headerIntervalMs: 100 });
    const h = new ProcessorHarness(recorder);
    await h.start();
    for (let i = 0; i < 30; i++) h.send(caller(i + 1)); // 600 ms: headers at 100, 200, … 600 ms
    const bytesPerMs = 8 * 2 * 2;
    await expect.poll(() => headerDataBytes(file), { timeout: 5000 }).toBe(600 * bytesPerMs);
    const live = readWav(file);
    expect(live.pcm.length).toBe(600 * 16);
    expect(live.pcm[live.pcm.length - 2]).toBe(30);
    h.send(caller(31)); // 620 ms: not yet in the header, which is rewritten every 100 ms
    h.send(frame('end', { reason: 'done' }));
    await h.waitFor('end');
    expect(await headerDataBytes(file)).toBe(620 * bytesPerMs);
  });

  it('records 20 simultaneous calls ended in every order into WAVs as long as their audio, leaving no descriptor open', async () => {
    const folder = path.join(dir, 'twenty');
    const before = openFds(folder);
    const endings = ['end', 'stop', 'cancel', 'finish-first', 'finish-then-cancel'] as const;
    const calls = Array.from({ length: 20 }, (_, i) => {
      const recorder = new CallRecorder(path.join(folder, `call-${i}.wav`), { headerIntervalMs: 1000 });
      return {
        recorder,
        h: new ProcessorHarness(recorder),
        frames: 1 + i * 7,
        ending: endings[i % endings.length]!,
      };
    });
    // Not awaited: everything below happens in one turn of the event loop, before any file exists.
    const start = frame('start', {
      audio: { inputSampleRateHz: 8000, outputSampleRateHz: 8000 },
      metadata: {},
    });
    for (const c of calls) c.h.send(start);
    // Interleaved audio, as the event loop delivers it for simultaneous calls; call i has
    // 1 + 7i frames (20 ms to 2.68 s) and its bot speaks 100 ms after its fifth frame.
    for (let n = 0; n < 134; n++) {
      for (const c of calls) {
        if (n < c.frames) c.h.send(caller(n + 1));
        if (n === 4 && c.frames > 4) c.h.send(bot(-7, 800));
      }
    }
    // End them in an order that mixes the ways a call ends (reversed, every other first).
    const order = [...calls.keys()].sort((a, b) => (a % 2) - (b % 2) || b - a);
    const results = await Promise.all(
      order.map(async (i) => {
        const { recorder, h, ending } = calls[i]!;
        if (ending === 'finish-first') {
          const info = recorder.finish(); // the server stored the call before the pipeline ended
          h.send(frame('end', { reason: 'done' }));
          return info;
        }
        if (ending === 'finish-then-cancel') {
          const info = recorder.finish();
          h.send(frame('cancel', { reason: 'caller_hung_up' }));
          return info;
        }
        h.send(frame(ending, { reason: 'done' }));
        await h.waitFor(ending);
        return recorder.finish();
      }),
    );
    for (const [k, i] of order.entries()) {
      const { frames } = calls[i]!;
      // The bot's 100–200 ms runs past the caller's end in the shortest calls.
      const expectedMs = Math.max(frames * 20, frames > 4 ? 200 : 0);
      expect(results[k]?.durationMs, `call ${i}`).toBe(expectedMs);
      const wav = readWav(path.join(folder, `call-${i}.wav`));
      expect(wav.pcm.length / 2 / 8, `call ${i}`).toBe(expectedMs);
      expect(wav.pcm[(frames - 1) * 320], `call ${i}`).toBe(frames); // the caller's last frame
    }
    const after = openFds(folder);
    expect(after.inFolder).toBe(0);
    expect(after.total).toBeLessThanOrEqual(before.total + 2); // +2: the runner's own work
  });
});
