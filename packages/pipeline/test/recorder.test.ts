import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CallRecorder, frame, ProcessorHarness, readWav } from '../src/index.ts';

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

  it('keeps the call going without a recording when the file cannot be opened', async () => {
    const blocker = path.join(dir, 'not-a-dir');
    await writeFile(blocker, 'x');
    const h = new ProcessorHarness(new CallRecorder(path.join(blocker, 'call.wav')));
    await h.start();
    h.send(caller(1));
    expect(h.ofType('input_audio')).toHaveLength(1);
    expect(h.ofType('error', 'upstream')[0]?.fatal).toBe(false);
  });
});
