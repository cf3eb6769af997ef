import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { frame, PipelineTask, ProcessorHarness } from '@parley/pipeline';
import { afterAll, describe, expect, it } from 'vitest';
import { checkLocalEngines, LocalSTTService } from '../src/index.ts';
import { readWav, SPEECH_FIXTURES } from './helpers/wav.ts';

const engines = await checkLocalEngines();
const skipReason = engines.stt.ok ? '' : ` [SKIPPED: pocketsphinx is not installed: ${engines.stt.reason}]`;

// Our processes are the ones whose command line names this folder (the model is assembled in it).
const modelCacheDir = mkdtempSync(path.join(tmpdir(), 'parley-stt-teardown-'));
afterAll(() => rmSync(modelCacheDir, { recursive: true, force: true }));

const ROOT = path.resolve(import.meta.dirname, '../../..');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const speech = engines.stt.ok
  ? readWav(path.join(SPEECH_FIXTURES, '8k', 'goforward.wav')).pcm
  : new Int16Array(0);

interface Proc {
  readonly pid: number;
  readonly pgid: number;
  readonly args: string;
}

/** Live processes (zombies excluded). */
function liveProcesses(): Proc[] {
  const out = execFileSync('ps', ['-eo', 'pid=,pgid=,stat=,args='], { encoding: 'utf8' });
  return out
    .split('\n')
    .map((l) => l.trim().match(/^(\d+)\s+(\d+)\s+(\S+)\s+(.*)$/))
    .filter((m): m is RegExpMatchArray => m !== null && !m[3]!.startsWith('Z'))
    .map((m) => ({ pid: Number(m[1]), pgid: Number(m[2]), args: m[4]! }));
}

/** This file's `sh` and `pocketsphinx_continuous` processes (their arguments name the model folder). */
function ourSphinxes(all = liveProcesses()): Proc[] {
  return all.filter((p) => p.args.includes('pocketsphinx_continuous') && p.args.includes(modelCacheDir));
}

/** The pocketsphinx groups of this file still alive, with every member (sh, cat, pocketsphinx). */
function ourGroups(): Proc[] {
  const all = liveProcesses();
  const groups = new Set(ourSphinxes(all).map((p) => p.pgid));
  return all.filter((p) => groups.has(p.pgid));
}

function audio(pcm: Int16Array) {
  return frame('input_audio', { audio: pcm, sampleRateHz: 8000, channels: 1 });
}

/** Feeds `ms` of the speech clip (from its start) as 20 ms frames, faster than real time. */
async function speak(h: ProcessorHarness, ms: number): Promise<void> {
  for (let off = 0; off < Math.min(speech.length, ms * 8); off += 160) {
    h.send(audio(speech.subarray(off, off + 160)));
    if (off % 1600 === 0) await sleep(5);
  }
}

const start = () =>
  frame('start', { audio: { inputSampleRateHz: 8000, outputSampleRateHz: 8000 }, metadata: {} });

/** One way a call can end, applied to a fresh service. */
type Teardown = (h: ProcessorHarness<LocalSTTService>) => Promise<void>;

const cancel = (h: ProcessorHarness) => {
  h.send(frame('cancel', { reason: 'caller_hung_up' }));
  return h.waitFor('cancel', { timeoutMs: 10_000 });
};

const TEARDOWNS: Record<string, Teardown> = {
  'cancel in the same tick as start': async (h) => {
    h.send(start());
    await cancel(h);
  },
  'cancel while connecting': async (h) => {
    h.send(start());
    await sleep(1);
    await cancel(h);
  },
  'end right after start': async (h) => {
    await h.start();
    h.send(frame('end', { reason: 'caller_hung_up' }));
    await h.waitFor('end', { timeoutMs: 10_000 });
  },
  'cancel mid-utterance': async (h) => {
    await h.start();
    await speak(h, 1000);
    await cancel(h);
  },
  'end mid-utterance': async (h) => {
    await h.start();
    await speak(h, 800);
    h.send(frame('end', { reason: 'caller_hung_up' }));
    await h.waitFor('end', { timeoutMs: 10_000 });
  },
  'stop mid-utterance': async (h) => {
    await h.start();
    await speak(h, 600);
    h.send(frame('stop', { reason: 'transfer' }));
    await h.waitFor('stop', { timeoutMs: 10_000 });
  },
  'pocketsphinx crashing mid-call': async (h) => {
    await h.start();
    await speak(h, 400);
    const binary = /^\S*pocketsphinx_continuous -infile/;
    await expect.poll(() => ourSphinxes().filter((p) => binary.test(p.args)).length).toBe(1);
    process.kill(ourSphinxes().find((p) => binary.test(p.args))!.pid, 'SIGKILL');
    await h.waitFor('error', { side: 'upstream', timeoutMs: 10_000 });
    await cancel(h); // the task cancels on the fatal error
  },
};

describe.skipIf(!engines.stt.ok)(`pocketsphinx process groups on every end path${skipReason}`, () => {
  it('leaves no process behind after 10 calls torn down at different moments', async () => {
    const plan = [
      ...Object.keys(TEARDOWNS),
      'cancel in the same tick as start',
      'cancel mid-utterance',
      'end right after start',
    ];
    expect(plan).toHaveLength(10);
    for (const name of plan) {
      const h = new ProcessorHarness(new LocalSTTService({ modelCacheDir }));
      await TEARDOWNS[name]!(h);
      h.dispose();
      expect(ourGroups(), name).toEqual([]);
    }
  });

  it('starts no process for a call that ended before its task ran (hung up while loading)', async () => {
    const task = new PipelineTask([new LocalSTTService({ modelCacheDir })]);
    task.cancel('caller_hung_up');
    expect(await task.run()).toMatchObject({ how: 'cancel' });
    await sleep(1500); // longer than a connect takes
    expect(ourGroups()).toEqual([]);
  });

  it('kills the group when the server process exits normally mid-call', async () => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', path.join(import.meta.dirname, 'fixtures', 'stt-until-exit.ts'), modelCacheDir],
      {
        cwd: ROOT,
        stdio: ['pipe', 'ignore', 'inherit'],
      },
    );
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      await expect.poll(() => ourGroups().length, { timeout: 20_000, interval: 50 }).toBeGreaterThan(0);
      const groups = new Set(ourGroups().map((p) => p.pgid));
      child.stdin.write('exit\n');
      expect(await exited).toBe(0);
      // The exit handler SIGKILLed the group before the process went: nothing waits for
      // pocketsphinx to finish loading its model and notice the end of its input.
      await expect
        .poll(() => liveProcesses().filter((p) => groups.has(p.pgid)), { timeout: 500, interval: 20 })
        .toEqual([]);
    } finally {
      child.kill('SIGKILL');
    }
  });
});
