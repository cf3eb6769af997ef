import { existsSync } from 'node:fs';
import { mkdtemp, open, readFile, rm, stat, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import wavefile from 'wavefile';
import { AudioFormatError, WavWriteError } from '../src/audio/audio-errors.ts';
import { repairWavHeader } from '../src/audio/wav-header.ts';
import { readWav } from '../src/audio/wav-reader.ts';
import { WavFileWriter } from '../src/audio/wav-writer.ts';
import { SPEECH_DIR, speechClip } from './fixtures/speech.ts';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'parley-wav-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function parse(bytes: Uint8Array) {
  const wav = new wavefile.WaveFile(bytes);
  const fmt = wav.fmt as { numChannels: number; sampleRate: number; bitsPerSample: number };
  const samples: unknown = wav.getSamples(true, Int16Array);
  return { fmt, samples: samples as Int16Array };
}

describe('WavFileWriter', () => {
  it('writes a stereo file in many chunks that wavefile parses back, sizes patched', async () => {
    const path = join(dir, 'nested', 'deeper', 'call.wav'); // parent folders are created
    const w = await WavFileWriter.open(path, { sampleRateHz: 8000, channels: 2 });
    const frames = 1000; // 20 s of 20 ms stereo frames: 640 KB, several 64 KB writes
    const expected = new Int16Array(frames * 320);
    for (let f = 0; f < frames; f++) {
      const frame = new Int16Array(320);
      for (let i = 0; i < 320; i++) frame[i] = (((f * 320 + i) * 37) % 65536) - 32768;
      expected.set(frame, f * 320);
      w.write(frame);
      frame.fill(0); // the writer copied it
    }
    const info = await w.close();
    const bytes = await readFile(path);
    expect(info).toEqual({
      path,
      samples: frames * 160,
      durationMs: 20_000,
      bytes: 44 + expected.byteLength,
    });
    expect((await stat(path)).size).toBe(info.bytes);
    expect(bytes.readUInt32LE(4)).toBe(bytes.length - 8);
    expect(bytes.toString('latin1', 36, 40)).toBe('data');
    expect(bytes.readUInt32LE(40)).toBe(expected.byteLength);
    const { fmt, samples } = parse(bytes);
    expect(fmt).toMatchObject({ numChannels: 2, sampleRate: 8000, bitsPerSample: 16 });
    expect(samples.length).toBe(expected.length);
    expect(
      Buffer.from(samples.buffer, samples.byteOffset, samples.byteLength).equals(
        Buffer.from(expected.buffer),
      ),
    ).toBe(true);
  });

  it('reuses a chunk buffer only once it was written: a long recording allocates a few, every sample kept', async () => {
    const path = join(dir, 'recycled.wav');
    const spies = [vi.spyOn(Buffer, 'allocUnsafe'), vi.spyOn(Buffer, 'from')];
    try {
      // Periodic syncs hand over part-filled buffers too; the pauses let writes finish meanwhile
      // (a live call gives them seconds), with room for a slow disk.
      const w = await WavFileWriter.open(path, { sampleRateHz: 8000, channels: 2, headerIntervalMs: 700 });
      const frames = 2000; // 40 s of stereo: 1.28 MB, written in about 60 syncs
      const expected = new Int16Array(frames * 320);
      const frame = new Int16Array(320);
      for (let f = 0; f < frames; f++) {
        for (let i = 0; i < 320; i++) frame[i] = (((f * 320 + i) * 41) % 65536) - 32768;
        expected.set(frame, f * 320);
        w.write(frame);
        if (f % 37 === 0) await new Promise((resolve) => setTimeout(resolve, 10));
      }
      await w.close();
      const large = spies.flatMap((spy) =>
        spy.mock.results.filter((r) => r.type === 'return' && (r.value as Buffer).length >= 4096),
      );
      expect(large.length).toBeLessThanOrEqual(8); // a buffer or a copy per sync (about 60) without reuse
      const { samples } = parse(await readFile(path));
      expect(
        Buffer.from(samples.buffer, samples.byteOffset, samples.byteLength).equals(
          Buffer.from(expected.buffer),
        ),
      ).toBe(true);
    } finally {
      for (const spy of spies) spy.mockRestore();
    }
  });

  it('closes cleanly with no samples, leaving a valid empty WAV', async () => {
    const path = join(dir, 'empty.wav');
    const w = await WavFileWriter.open(path, { sampleRateHz: 16000, channels: 1 });
    const info = await w.close();
    expect(info).toEqual({ path, samples: 0, durationMs: 0, bytes: 44 });
    const bytes = await readFile(path);
    expect(bytes.length).toBe(44);
    expect(bytes.readUInt32LE(4)).toBe(36);
    expect(bytes.readUInt32LE(40)).toBe(0);
    const { fmt, samples } = parse(bytes);
    expect(fmt.sampleRate).toBe(16000);
    expect(samples.length).toBe(0);
  });

  it('returns the same result from repeated close calls and refuses later writes', async () => {
    const w = await WavFileWriter.open(join(dir, 'twice.wav'), { sampleRateHz: 8000, channels: 1 });
    w.write(new Int16Array(80));
    const [a, b] = await Promise.all([w.close(), w.close()]);
    expect(a).toBe(b);
    expect(a.samples).toBe(80);
    expect(() => w.write(new Int16Array(2))).toThrow(WavWriteError);
  });

  it('rejects a sample count that does not fill whole frames', async () => {
    const w = await WavFileWriter.open(join(dir, 'odd.wav'), { sampleRateHz: 8000, channels: 2 });
    expect(() => w.write(new Int16Array(3))).toThrow(AudioFormatError);
    await w.close();
  });

  it('fails to open where no file can be created', async () => {
    const blocker = join(dir, 'a-file');
    const w = await WavFileWriter.open(blocker, { sampleRateHz: 8000, channels: 1 });
    await w.close();
    await expect(
      WavFileWriter.open(join(blocker, 'x.wav'), { sampleRateHz: 8000, channels: 1 }),
    ).rejects.toThrow(WavWriteError);
  });

  it('surfaces a failed write through onError and close(), without an unhandled rejection', async () => {
    const onError = vi.fn();
    const path = join(dir, 'failing.wav');
    const w = await WavFileWriter.open(path, { sampleRateHz: 8000, channels: 1, onError });
    // Make every FileHandle write fail from now on, as a full disk would.
    const probe = await open(join(dir, 'probe'), 'w');
    const handleProto = Object.getPrototypeOf(probe) as { write: (...args: unknown[]) => Promise<unknown> };
    await probe.close();
    const spy = vi
      .spyOn(handleProto, 'write')
      .mockRejectedValue(Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' }));
    try {
      w.write(new Int16Array(40_000)); // > 64 KB: a write is issued at once
      w.write(new Int16Array(40_000));
      await vi.waitFor(() => expect(onError).toHaveBeenCalledTimes(1));
      expect(w.error).toBeInstanceOf(WavWriteError);
      w.write(new Int16Array(10)); // dropped, no throw
      const closed = await w.close().catch((e: unknown) => e);
      expect(closed).toBe(w.error);
      expect((closed as WavWriteError).path).toBe(path);
      expect(onError).toHaveBeenCalledTimes(1);
    } finally {
      spy.mockRestore();
    }
  });
});

describe('WavFileWriter, crash safety', () => {
  it('create() returns before the file exists and keeps what is written meanwhile', async () => {
    const path = join(dir, 'later', 'created.wav');
    const w = WavFileWriter.create(path, { sampleRateHz: 8000, channels: 1 });
    expect(existsSync(path)).toBe(false);
    w.write(new Int16Array(160).fill(9));
    const info = await w.close();
    expect(info.samples).toBe(160);
    expect(readWav(path).pcm[159]).toBe(9);
  });

  it('reports a file that cannot be created through onError and close(), with nothing left open', async () => {
    const blocker = join(dir, 'blocker');
    await writeFile(blocker, 'x');
    const onError = vi.fn();
    const w = WavFileWriter.create(join(blocker, 'x.wav'), { sampleRateHz: 8000, channels: 1, onError });
    w.write(new Int16Array(160));
    await expect(w.close()).rejects.toBeInstanceOf(WavWriteError);
    expect(onError).toHaveBeenCalledTimes(1);
  });

  it('rewrites the header every headerIntervalMs of audio, never claiming more than is on disk', async () => {
    const path = join(dir, 'synced.wav');
    const w = WavFileWriter.create(path, { sampleRateHz: 8000, channels: 2, headerIntervalMs: 1000 });
    const frame = new Int16Array(320); // 20 ms of stereo
    for (let i = 0; i < 130; i++) w.write(frame); // 2.6 s: header rewritten at 1 s and 2 s
    const bytesPerSecond = 8000 * 2 * 2;
    await vi.waitFor(async () => expect((await readFile(path)).readUInt32LE(40)).toBe(2 * bytesPerSecond));
    const bytes = await readFile(path);
    expect(bytes.readUInt32LE(4)).toBe(36 + 2 * bytesPerSecond);
    expect(bytes.length).toBeGreaterThanOrEqual(44 + 2 * bytesPerSecond);
    expect(readWav(path).pcm.length).toBe(2 * 8000 * 2); // playable as it stands
    await w.close();
    expect((await readFile(path)).readUInt32LE(40)).toBe(2.6 * bytesPerSecond);
  });

  it('with headerIntervalMs 0 writes the sizes only on close', async () => {
    const path = join(dir, 'unsynced.wav');
    const w = WavFileWriter.create(path, { sampleRateHz: 8000, channels: 1, headerIntervalMs: 0 });
    for (let i = 0; i < 500; i++) w.write(new Int16Array(160)); // 10 s, 160 KB: several writes
    await vi.waitFor(async () => expect((await stat(path)).size).toBeGreaterThan(128 * 1024));
    expect((await readFile(path)).readUInt32LE(40)).toBe(0);
    await w.close();
    expect((await readFile(path)).readUInt32LE(40)).toBe(500 * 320);
  });
});

describe('repairWavHeader', () => {
  /** A mono 8 kHz WAV whose header says `claimed` data bytes while `pcm` follows it. */
  async function staleWav(name: string, pcm: Int16Array, claimed: number): Promise<string> {
    const path = join(dir, name);
    const w = await WavFileWriter.open(path, { sampleRateHz: 8000, channels: 1 });
    w.write(pcm);
    await w.close();
    const bytes = await readFile(path);
    bytes.writeUInt32LE(36 + claimed, 4);
    bytes.writeUInt32LE(claimed, 40);
    await writeFile(path, bytes);
    return path;
  }

  it('gives a header left stale by a crash the length of the audio in the file', async () => {
    const pcm = new Int16Array(8000).map((_, i) => i % 1000);
    const path = await staleWav('crashed.wav', pcm, 0);
    expect(readWav(path).pcm.length).toBe(0); // what a player sees before the repair
    const repaired = await repairWavHeader(path);
    expect(repaired).toEqual({
      path,
      samples: 8000,
      durationMs: 1000,
      sampleRateHz: 8000,
      channels: 1,
      repaired: true,
    });
    const read = readWav(path);
    expect(read.pcm.length).toBe(8000);
    expect(read.pcm[999]).toBe(999);
    expect((await repairWavHeader(path)).repaired).toBe(false); // a good header is left alone
  });

  it('cuts off a torn last sample', async () => {
    const path = await staleWav('torn.wav', new Int16Array(800), 400);
    await writeFile(path, Buffer.concat([await readFile(path), Buffer.from([1])]));
    const repaired = await repairWavHeader(path);
    expect(repaired.samples).toBe(800);
    expect((await stat(path)).size).toBe(44 + 1600);
  });

  it('refuses files that are not WAVs or were cut inside their header', async () => {
    const notWav = join(dir, 'not.wav');
    await writeFile(notWav, Buffer.alloc(100, 1));
    await expect(repairWavHeader(notWav)).rejects.toBeInstanceOf(AudioFormatError);
    const cut = await staleWav('cut.wav', new Int16Array(10), 0);
    await truncate(cut, 30);
    await expect(repairWavHeader(cut)).rejects.toBeInstanceOf(AudioFormatError);
    await expect(repairWavHeader(join(dir, 'missing.wav'))).rejects.toMatchObject({ code: 'ENOENT' });
  });
});

describe('readWav', () => {
  it('reads a fixture from a path and from bytes', async () => {
    const path = `${SPEECH_DIR}8k/goforward.wav`;
    const fromPath = readWav(path);
    expect(fromPath.sampleRateHz).toBe(8000);
    expect(fromPath.channels).toBe(1);
    expect(fromPath.pcm.length).toBe(((await stat(path)).size - 44) / 2);
    const fromBytes = readWav(await readFile(path));
    expect(Array.from(fromBytes.pcm.subarray(0, 1000))).toEqual(Array.from(fromPath.pcm.subarray(0, 1000)));
  });

  it('converts a µ-law WAV to 16-bit PCM', () => {
    const pcm = speechClip('goforward', 8000);
    const wav = new wavefile.WaveFile();
    wav.fromScratch(1, 8000, '16', pcm);
    wav.toMuLaw();
    const read = readWav(wav.toBuffer());
    expect(read.sampleRateHz).toBe(8000);
    expect(read.pcm.length).toBe(pcm.length);
    let maxErr = 0;
    for (let i = 0; i < pcm.length; i++) maxErr = Math.max(maxErr, Math.abs(pcm[i]! - read.pcm[i]!));
    expect(maxErr).toBeLessThan(1100); // µ-law step size at full scale
  });

  it('throws AudioFormatError for bytes that are not a WAV', () => {
    expect(() => readWav(new Uint8Array(100))).toThrow(AudioFormatError);
  });
});
