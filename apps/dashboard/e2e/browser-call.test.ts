import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { readWav } from '@parley/pipeline';
import { describe, expect, it } from 'vitest';
import { recordingLoaded, transcriptLines } from './call-page.ts';
import { CHROMIUM, expectAccessible, screenshot, useDashboard } from './harness.ts';

const CLIP = path.resolve(import.meta.dirname, '../../../test-fixtures/speech/16k/goforward.wav');
/** See the file: counts what the page's Web Audio sends to its speakers. */
const AUDIO_TAP = path.resolve(import.meta.dirname, 'audio-output-tap.js');

/** What `audio-output-tap.js` counted: seconds of bot audio started and finished, loudest sample (0–1). */
interface AudioTap {
  readonly startedSecs: number;
  readonly endedSecs: number;
  readonly peak: number;
}

/**
 * A WAV for Chromium's fake microphone (which loops it): 4 s of silence (mostly over the
 * greeting), the clip, then 4 s of silence, so that each loop is one turn the voice detector can end.
 */
function microphoneWav(): string {
  const clip = readWav(CLIP);
  const rate = clip.sampleRateHz;
  const pcm = new Int16Array(4 * rate + clip.pcm.length + 4 * rate);
  pcm.set(clip.pcm, 4 * rate);
  const header = Buffer.alloc(44);
  header.write('RIFF', 0);
  header.writeUInt32LE(36 + pcm.byteLength, 4);
  header.write('WAVEfmt ', 8);
  header.writeUInt32LE(16, 16);
  header.writeUInt16LE(1, 20); // PCM
  header.writeUInt16LE(1, 22); // mono
  header.writeUInt32LE(rate, 24);
  header.writeUInt32LE(rate * 2, 28);
  header.writeUInt16LE(2, 32);
  header.writeUInt16LE(16, 34);
  header.write('data', 36);
  header.writeUInt32LE(pcm.byteLength, 40);
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'parley-mic-')), 'microphone.wav');
  writeFileSync(file, Buffer.concat([header, Buffer.from(pcm.buffer)]));
  return file;
}

/** Lower-case words, punctuation dropped. */
const words = (s: string): string[] =>
  s
    .toLowerCase()
    .replace(/[^a-z' ]/g, ' ')
    .split(/\s+/)
    .filter(Boolean);

/** Whether `text` holds a word of the clip ("go forward ten meters"); a loaded machine may drop some. */
const heardClip = (text: string): boolean =>
  words(text).some((w) => ['forward', 'ten', 'meters'].includes(w));

describe.skipIf(!existsSync(CHROMIUM))('a browser test call (Chromium, fake microphone)', () => {
  const e2e = useDashboard({ microphoneWav: microphoneWav() });

  it('talks to the demo agent with the microphone, shows the transcript and stores the call', async () => {
    const page = await e2e.newPage();
    await page.addInitScript({ path: AUDIO_TAP });
    const audio = () =>
      page.evaluate(() => (globalThis as unknown as { __audioOutputTap: AudioTap }).__audioOutputTap);
    await e2e.signIn(page, 'admin');
    await page.goto('/agents/demo/test-call');
    await page.getByRole('heading', { name: 'Test call: Demo agent' }).waitFor();
    await expectAccessible(page, 'test call (ready)');

    await page.getByRole('button', { name: 'Start call' }).click();
    const transcript = page.getByRole('list', { name: 'Transcript' });
    // The caller's words (recognised by the local STT), then the fake LLM's reply. (The greeting
    // comes first, but a caller talking over it may split or shorten its line.)
    const callerLine = transcript.locator('.testcall-user:not(.testcall-provisional)');
    await callerLine.first().waitFor({ timeout: 90_000 });
    expect(heardClip((await callerLine.first().textContent()) ?? '')).toBe(true);
    await transcript.getByText('Okay.', { exact: true }).first().waitFor({ timeout: 60_000 });
    expect(e2e.llm.requests.length).toBeGreaterThanOrEqual(1);
    // The page plays the bot (the greeting, then the reply): audible samples reach its speakers,
    // and the context's clock runs through them. (Flite's speech peaks far above 0.05.)
    await expect.poll(async () => (await audio()).endedSecs, { timeout: 30_000 }).toBeGreaterThan(0.3);
    const played = await audio();
    expect(played.startedSecs).toBeGreaterThan(0.5);
    expect(played.peak).toBeGreaterThan(0.05);
    await expectAccessible(page, 'test call (in call)');
    await screenshot(page, 'test-call');

    await page.getByRole('button', { name: 'End call' }).click();
    await page.getByRole('status').filter({ hasText: 'The call has ended.' }).waitFor();
    const link = page.getByRole('link', { name: 'Open the stored call' });
    const href = await link.getAttribute('href');
    const callId = href!.split('/').at(-1)!;

    // The call is stored as a browser call with its transcript.
    await expect
      .poll(
        async () => {
          const res = await page.request.get(`/api/calls/${callId}`);
          return ((await res.json()) as { status?: string }).status;
        },
        { timeout: 15_000 },
      )
      .toBe('completed');
    const list = (await (await page.request.get('/api/calls')).json()) as {
      calls: Array<{ id: string; provider: string }>;
    };
    expect(list.calls.find((c) => c.id === callId)?.provider).toBe('browser');
    const call = (await (await page.request.get(`/api/calls/${callId}`)).json()) as {
      endReason: string;
      transcript: Array<{ role: string; text: string; interrupted?: boolean }>;
    };
    expect(call.endReason).toBe('caller_hung_up');
    const said = call.transcript.findIndex((t) => t.role === 'user' && heardClip(t.text));
    expect(said).toBeGreaterThanOrEqual(0);
    expect(call.transcript.slice(said).some((t) => t.role === 'assistant' && t.text === 'Okay.')).toBe(true);

    // Its page shows the same transcript, line by line, and loads its recording.
    await link.click();
    await page.getByRole('heading', { name: 'Call from an unknown number' }).waitFor();
    expect(new URL(page.url()).pathname).toBe(`/calls/${callId}`);
    const lines = transcriptLines(page);
    await expect.poll(() => lines.count()).toBe(call.transcript.length);
    const shown = await lines.evaluateAll((lis) =>
      lis.map((li) => [
        li.querySelector('.transcript-who')?.textContent ?? '',
        li.querySelector('.transcript-text')?.textContent ?? '',
      ]),
    );
    expect(shown).toEqual(
      call.transcript.map((t) => [
        t.role === 'user' ? 'Caller' : 'Bot',
        `${t.text}${t.interrupted === true ? ' (interrupted)' : ''}`,
      ]),
    );
    const play = await recordingLoaded(page);
    await play.click();
    await page.getByRole('button', { name: 'Pause' }).waitFor();
    await page.context().close();
  }, 240_000);
});
