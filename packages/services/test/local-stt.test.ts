import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { frame, ProcessorHarness } from '@parley/pipeline';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import {
  checkLocalEngines,
  LocalEngineError,
  LocalEngineUnavailableError,
  LocalSTTService,
  synthesizeWithFlite,
} from '../src/index.ts';
import { readWav, recall, SPEECH_FIXTURES } from './helpers/wav.ts';

const engines = await checkLocalEngines();
const skipReason = engines.stt.ok ? '' : ` [SKIPPED: pocketsphinx is not installed: ${engines.stt.reason}]`;
if (skipReason) console.warn(`LocalSTTService tests skipped: ${engines.stt.reason}`);

const transcripts = new Map(
  readFileSync(path.join(SPEECH_FIXTURES, 'transcripts.tsv'), 'utf8')
    .trim()
    .split('\n')
    .slice(1)
    .map((line) => line.split('\t') as [string, string]),
);
const alignment = JSON.parse(readFileSync(path.join(SPEECH_FIXTURES, 'alignment.json'), 'utf8')) as Record<
  string,
  { speech_end_s: number }
>;

const modelCacheDir = mkdtempSync(path.join(tmpdir(), 'parley-stt-test-'));
afterAll(() => rmSync(modelCacheDir, { recursive: true, force: true }));

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Send `pcm` as 20 ms `input_audio` frames; paced in real time when `realTime`. */
async function feed(h: ProcessorHarness, pcm: Int16Array, realTime = false): Promise<void> {
  const t0 = performance.now();
  for (let off = 0, n = 0; off < pcm.length; off += 160, n++) {
    h.send(frame('input_audio', { audio: pcm.subarray(off, off + 160), sampleRateHz: 8000, channels: 1 }));
    if (realTime) await sleep(Math.max(0, t0 + (n + 1) * 20 - performance.now()));
  }
}

/** Live processes (zombies, dead but not yet reaped by init, excluded): pid, group and command line. */
function liveProcesses(): { pid: number; pgid: number; args: string }[] {
  const out = execFileSync('ps', ['-eo', 'pid=,pgid=,stat=,args='], { encoding: 'utf8' });
  return out
    .split('\n')
    .map((l) => l.trim().match(/^(\d+)\s+(\d+)\s+(\S+)\s+(.*)$/))
    .filter((m): m is RegExpMatchArray => m !== null && !m[3]!.startsWith('Z'))
    .map((m) => ({ pid: Number(m[1]), pgid: Number(m[2]), args: m[4]! }));
}

/** The pocketsphinx processes this file started (their command line names its model dir). */
function pocketsphinxProcesses(): { pid: number; pgid: number }[] {
  return liveProcesses().filter(
    (p) => p.args.includes('pocketsphinx_continuous -infile') && p.args.includes(modelCacheDir),
  );
}

function groupMembers(pgid: number): number[] {
  return liveProcesses()
    .filter((p) => p.pgid === pgid)
    .map((p) => p.pid);
}

describe.skipIf(!engines.stt.ok)(`LocalSTTService (pocketsphinx, 8 kHz model)${skipReason}`, () => {
  let harness: ProcessorHarness<LocalSTTService> | undefined;

  async function startService(): Promise<ProcessorHarness<LocalSTTService>> {
    harness = new ProcessorHarness(new LocalSTTService({ modelCacheDir }));
    await harness.start({ inputSampleRateHz: 8000 });
    expect(harness.ofType('error', 'upstream')).toEqual([]);
    return harness;
  }

  afterEach(async () => {
    if (!harness) return;
    if (harness.processor.isRunning) {
      harness.send(frame('cancel', { reason: 'test over' }));
      await harness.waitFor('cancel');
    }
    harness.dispose();
    harness = undefined;
  });

  it.each(['goforward', 'ast-vm-nobodyavail'])(
    'recognizes most words of the real phone recording %s',
    async (clip) => {
      const h = await startService();
      const { pcm, sampleRateHz } = readWav(path.join(SPEECH_FIXTURES, '8k', `${clip}.wav`));
      expect(sampleRateHz).toBe(8000);
      await feed(h, new Int16Array(4000)); // the line before the caller speaks
      await feed(h, pcm);
      await feed(h, new Int16Array(16000));
      const heard = (await h.waitFor('transcription', { timeoutMs: 20_000 })).text;
      const expected = transcripts.get(clip)!;
      console.log(`pocketsphinx heard "${heard}" for "${expected}"`);
      expect(recall(expected, heard)).toBeGreaterThanOrEqual(0.5);
      expect(h.ofType('error', 'upstream')).toEqual([]);
    },
  );

  it('delivers the transcript soon after the caller stops speaking (real-time stream)', async () => {
    const h = await startService();
    const { pcm } = readWav(path.join(SPEECH_FIXTURES, '8k', 'goforward.wav'));
    const speechEnd = Math.round(alignment.goforward!.speech_end_s * 8000);
    await feed(h, new Int16Array(8000), true);
    await feed(h, pcm.subarray(0, speechEnd), true);
    const speechEndedAt = performance.now();
    const rest = pcm.subarray(speechEnd);
    const stopSignalAt = speechEndedAt + 300; // a VAD with stopSecs 0.3 says the caller stopped
    const tail = new Int16Array(rest.length + 8000);
    tail.set(rest);
    const feeding = feed(h, tail, true);
    await sleep(Math.max(0, stopSignalAt - performance.now()));
    h.send(frame('user_stopped_speaking'));
    const transcript = await h.waitFor('transcription', { timeoutMs: 10_000 });
    const latencyMs = transcript.createdAtMs - speechEndedAt;
    await feeding;
    const ttfb = h.ofType('metrics').find((m) => m.name === 'ttfb');
    console.log(
      `pocketsphinx: end of speech → transcript ${latencyMs.toFixed(0)} ms; ` +
        `user_stopped_speaking → transcript (ttfb) ${ttfb ? ttfb.value.toFixed(0) : 'n/a'} ms`,
    );
    expect(recall('go forward ten meters', transcript.text)).toBeGreaterThanOrEqual(0.5);
    expect(latencyMs).toBeLessThan(2000);
  });

  it('kills pocketsphinx, cat and the shell when the call ends', async () => {
    const h = await startService();
    await feed(h, new Int16Array(1600));
    await expect.poll(() => pocketsphinxProcesses().length, { timeout: 5000 }).toBe(1);
    const { pgid } = pocketsphinxProcesses()[0]!;
    expect(groupMembers(pgid).length).toBeGreaterThanOrEqual(3); // sh, cat, (subshell,) pocketsphinx_continuous
    h.send(frame('end', { reason: 'hang-up' }));
    await h.waitFor('end', { timeoutMs: 5000 });
    expect(groupMembers(pgid)).toEqual([]);
    expect(pocketsphinxProcesses()).toEqual([]);
  });

  it('turns a pocketsphinx crash into a fatal error frame', async () => {
    const h = await startService();
    await expect.poll(() => pocketsphinxProcesses().length, { timeout: 5000 }).toBe(1);
    process.kill(pocketsphinxProcesses()[0]!.pid, 'SIGKILL');
    const error = await h.waitFor('error', { side: 'upstream', timeoutMs: 5000 });
    expect(error.fatal).toBe(true);
    expect(error.cause).toBeInstanceOf(LocalEngineError);
    expect(error.message).toMatch(/pocketsphinx exited unexpectedly/);
    await feed(h, new Int16Array(1600)); // writing after the crash neither throws nor reports EPIPE
    await sleep(100);
    expect(h.ofType('error', 'upstream')).toHaveLength(1);
  });

  it('recognizes Flite speech (TTS → STT round trip)', async () => {
    const sentence = 'Thank you for calling. How can I help you today?';
    const { pcm, sampleRateHz } = await synthesizeWithFlite(sentence);
    expect(sampleRateHz).toBe(8000);
    const h = await startService();
    await feed(h, new Int16Array(4000));
    await feed(h, pcm);
    await feed(h, new Int16Array(16000));
    h.send(frame('user_stopped_speaking'));
    await h.waitFor('transcription', { timeoutMs: 20_000 });
    await sleep(300);
    const heard = h
      .ofType('transcription')
      .map((t) => t.text)
      .join(' ');
    console.log(`pocketsphinx heard "${heard}" for Flite's "${sentence}"`);
    expect(recall(sentence, heard)).toBeGreaterThanOrEqual(0.5);
  });
});

describe('LocalSTTService without its engine', () => {
  it('fails the start with LocalEngineUnavailableError naming the apt-get fix', async () => {
    const h = new ProcessorHarness(
      new LocalSTTService({ command: 'pocketsphinx_continuous_not_installed', modelCacheDir }),
    );
    await h.start();
    const error = h.ofType('error', 'upstream')[0];
    expect(error?.fatal).toBe(true);
    expect(error?.cause).toBeInstanceOf(LocalEngineUnavailableError);
    expect(error?.message).toContain('apt-get install pocketsphinx pocketsphinx-en-us');
    h.dispose();
  });

  it('rejects input rates pocketsphinx cannot take', async () => {
    const h = new ProcessorHarness(new LocalSTTService({ modelCacheDir }));
    await h.start({ inputSampleRateHz: 48000 });
    expect(h.ofType('error', 'upstream')[0]?.message).toMatch(/8000 or 16000 Hz/);
    h.dispose();
  });
});
