import { spawn } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readWav, repairWavHeader } from '../src/index.ts';

const ROOT = path.resolve(import.meta.dirname, '../../..');
const CHILD = path.join(import.meta.dirname, 'fixtures', 'record-until-killed.ts');
const BYTES_PER_MS = 8 * 2 * 2; // 8 kHz stereo 16-bit

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'parley-recorder-crash-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Runs the recording child until it reports `untilMs` of audio, then SIGKILLs it; returns the last report, ms. */
function recordThenKill(file: string, intervalMs: number, untilMs: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD, file, String(intervalMs)], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let lastMs = 0;
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
    });
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      const reports = d.trim().split('\n').map(Number);
      lastMs = Math.max(lastMs, ...reports.filter(Number.isFinite));
      if (lastMs >= untilMs) child.kill('SIGKILL');
    });
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      if (signal === 'SIGKILL') resolve(lastMs);
      else reject(new Error(`the recording child exited (${code}) before it was killed: ${stderr}`));
    });
  });
}

describe('CallRecorder after a crash', () => {
  it('leaves a playable WAV whose header covers the audio up to the last rewrite when its process is SIGKILLed', async () => {
    const file = path.join(dir, 'killed.wav');
    const intervalMs = 1000;
    const recordedMs = await recordThenKill(file, intervalMs, 3300);
    const bytes = readFileSync(file);
    const headerMs = bytes.readUInt32LE(40) / BYTES_PER_MS;
    const onDiskMs = (statSync(file).size - 44) / BYTES_PER_MS;
    console.log(`killed after ${recordedMs} ms of audio: header says ${headerMs} ms, ${onDiskMs} ms on disk`);
    expect(bytes.readUInt32LE(4)).toBe(36 + headerMs * BYTES_PER_MS);
    expect(headerMs % intervalMs).toBe(0); // rewritten at whole intervals of audio
    expect(headerMs).toBeLessThanOrEqual(onDiskMs); // never claims audio that is not there
    // Within the rewrite interval of what the child reported (a second more while a write
    // of the last rewrite was still in flight on a loaded machine).
    expect(headerMs).toBeGreaterThanOrEqual(recordedMs - intervalMs - 1000);
    expect(headerMs).toBeGreaterThanOrEqual(2000);
    const wav = readWav(file); // playable as the crash left it
    expect(wav.pcm.length / 2 / 8).toBe(headerMs);
    expect(wav.pcm[wav.pcm.length - 2]).toBe(headerMs / 20); // the last frame in the header, intact

    const repaired = await repairWavHeader(file); // what the recovery worker does after a restart
    expect(repaired.durationMs).toBe(onDiskMs);
    expect(repaired.durationMs).toBeGreaterThanOrEqual(headerMs);
    expect(readWav(file).pcm.length / 2 / 8).toBe(onDiskMs);
  });
});
