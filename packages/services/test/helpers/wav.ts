import { readFileSync } from 'node:fs';
import path from 'node:path';

/** Root of the repository's speech clips (`test-fixtures/speech`, see its README for credits). */
export const SPEECH_FIXTURES = path.resolve(import.meta.dirname, '../../../../test-fixtures/speech');

/** A 16-bit PCM WAV file's samples (interleaved when stereo) and format. */
export interface Wav {
  readonly pcm: Int16Array;
  readonly sampleRateHz: number;
  readonly channels: number;
}

/** Read a 16-bit PCM WAV file, walking its RIFF chunks. */
export function readWav(file: string): Wav {
  const b = readFileSync(file);
  if (b.toString('ascii', 0, 4) !== 'RIFF' || b.toString('ascii', 8, 12) !== 'WAVE')
    throw new Error(`${file}: not a WAV file`);
  let sampleRateHz = 0;
  let channels = 0;
  for (let off = 12; off + 8 <= b.length; ) {
    const id = b.toString('ascii', off, off + 4);
    const size = b.readUInt32LE(off + 4);
    if (id === 'fmt ') {
      channels = b.readUInt16LE(off + 10);
      sampleRateHz = b.readUInt32LE(off + 12);
    } else if (id === 'data') {
      const bytes = b.subarray(off + 8, off + 8 + size);
      const pcm = new Int16Array(bytes.length >> 1);
      for (let i = 0; i < pcm.length; i++) pcm[i] = bytes.readInt16LE(i * 2);
      return { pcm, sampleRateHz, channels };
    }
    off += 8 + size + (size % 2);
  }
  throw new Error(`${file}: no data chunk`);
}

/** The words of `text`: lower case, letters and apostrophes only. */
export function words(text: string): string[] {
  return text
    .toLowerCase()
    .replace(/[^a-z' ]/g, ' ')
    .split(/\s+/)
    .filter(Boolean);
}

/** Share of `expected`'s words that appear in `heard`, 0–1. */
export function recall(expected: string, heard: string): number {
  const want = words(expected);
  const got = words(heard);
  return want.filter((w) => got.includes(w)).length / want.length;
}

/** Root-mean-square level of signed 16-bit samples. */
export function rms(pcm: Int16Array): number {
  let sum = 0;
  for (const s of pcm) sum += s * s;
  return Math.sqrt(sum / Math.max(1, pcm.length));
}
