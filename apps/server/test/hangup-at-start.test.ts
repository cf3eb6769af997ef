import { readdirSync, readFileSync } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { readWav } from '@parley/pipeline';
import { checkLocalEngines } from '@parley/services';
import { describe, expect, it } from 'vitest';
import type { CallSummary } from '../src/db/call-types.ts';
import { dialTwilio } from './helpers/answer.ts';
import { useSpeechServer } from './helpers/e2e.ts';
import { speech8k } from './helpers/fakes.ts';

const engines = await checkLocalEngines();

/** This process's children that run pocketsphinx (a live call's `sh` leads its group). */
function pocketsphinxChildren(): number[] {
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' '); // state, ppid, pgrp, …
      if (fields[0] === 'Z' || Number(fields[1]) !== process.pid) continue;
      const args = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
      if (args.includes('pocketsphinx_continuous')) found.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return found;
}

/** Every WAV under `dir`, with its size. */
async function wavFiles(dir: string): Promise<{ file: string; bytes: number }[]> {
  const out: { file: string; bytes: number }[] = [];
  for (const entry of await readdir(dir, { recursive: true })) {
    if (!entry.endsWith('.wav')) continue;
    const file = path.join(dir, entry);
    out.push({ file, bytes: (await stat(file)).size });
  }
  return out;
}

describe.skipIf(!engines.stt.ok || !engines.tts.ok)(
  'callers who hang up right after the stream starts',
  () => {
    const speech = useSpeechServer(engines);

    it('leave no pocketsphinx process and no empty recording; callers who spoke leave their audio', async () => {
      const { server } = speech;
      type Kind = 'at-start' | 'once-admitted' | 'after-speaking';
      const sids = new Map<string, Kind>();
      // Callers hang up in the same breath as `start` (the server is still loading the call),
      // as soon as the server made the call's session (it is storing the call as started), or
      // after a second of speech; one at a time, whatever the server's concurrency limit.
      const kinds: Kind[] = ['at-start', 'once-admitted', 'after-speaking', 'at-start', 'once-admitted'];
      for (const kind of [...kinds, ...kinds]) {
        const sim = await dialTwilio(server);
        await sim.connect();
        sim.start();
        if (kind === 'once-admitted')
          await expect.poll(() => server.parley.active.size, { interval: 1 }).toBe(1);
        if (kind === 'after-speaking') await sim.streamAudio(speech8k('goforward').subarray(0, 8000));
        sim.hangUp();
        await sim.closed();
        sids.set(sim.callSid, kind);
      }
      let calls: CallSummary[] = [];
      await expect
        .poll(
          async () => {
            calls = (await server.parley.calls.list({ limit: 50 })).calls.filter((c) =>
              sids.has(c.providerCallId ?? ''),
            );
            return calls.filter((c) => c.status !== 'ringing' && c.status !== 'in_progress').length;
          },
          { timeout: 20_000 },
        )
        .toBe(10);
      await sleep(1500); // a group started late (after the call was stored) would be up by now
      expect(pocketsphinxChildren()).toEqual([]);

      for (const call of calls) {
        // A caller gone before the call was loaded leaves a failed call (`connection_lost`).
        expect(call.endReason).toMatch(/^(caller_hung_up|connection_lost)$/);
        if (sids.get(call.providerCallId!) !== 'after-speaking') continue;
        expect(call).toMatchObject({ status: 'completed', endReason: 'caller_hung_up' });
        const recording = readWav(path.resolve(server.config.recordingsDir, call.recordingPath!));
        const ms = (recording.pcm.length / 2 / recording.sampleRateHz) * 1000;
        expect(ms).toBeGreaterThanOrEqual(900); // the second the caller spoke, give or take a frame or two
      }
      // No 44-byte orphans: every file on disk holds audio and belongs to a call.
      const stored = new Set(
        calls.flatMap((c) =>
          c.recordingPath ? [path.resolve(server.config.recordingsDir, c.recordingPath)] : [],
        ),
      );
      for (const { file, bytes } of await wavFiles(server.config.recordingsDir)) {
        expect(bytes, file).toBeGreaterThan(44);
        expect(stored.has(file), file).toBe(true);
      }
    }, 90_000);
  },
);
