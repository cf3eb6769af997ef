import { existsSync } from 'node:fs';
import path from 'node:path';
import { readWav } from '@parley/pipeline';
import { checkLocalEngines } from '@parley/services';
import { FakeOpenAIServer } from '@parley/services/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultServiceFactory } from '../src/calls/services.ts';
import type { TwilioCallSimulator } from '../src/tools/twilio-call-simulator.ts';
import { dialTwilio } from './helpers/answer.ts';
import { startTestServer, type TestServer } from './helpers/server.ts';

const FIXTURES = path.resolve(import.meta.dirname, '../../../test-fixtures/speech/8k');
const engines = await checkLocalEngines();
const words = (s: string) =>
  s
    .toLowerCase()
    .replace(/[^a-z' ]/g, ' ')
    .split(/\s+/)
    .filter(Boolean);

/** Wait until the simulator has heard the bot go quiet for `quietMs` after `sinceMs`. */
async function untilQuiet(sim: TwilioCallSimulator, sinceMs: number, quietMs = 1200, timeoutMs = 20_000) {
  await sim.waitFor(
    () => {
      const media = sim.messages('media').filter((m) => m.atMs >= sinceMs);
      const last = media.at(-1);
      return last !== undefined && sim.now() - last.atMs > quietMs;
    },
    timeoutMs,
    'the bot to finish speaking',
  );
}

describe.skipIf(!engines.stt.ok || !engines.tts.ok)('a Twilio call end to end, on real speech', () => {
  let server: TestServer;
  let llm: FakeOpenAIServer;

  beforeAll(async () => {
    llm = await FakeOpenAIServer.start();
    server = await startTestServer((config) => defaultServiceFactory(config, engines), {
      OPENAI_API_KEY: 'test-key',
      OPENAI_BASE_URL: llm.url,
    });
  }, 60_000);

  afterAll(async () => {
    await server?.close();
    await llm?.close();
  });

  it('hears the caller, answers through the LLM, and stores the call, events and recording', async () => {
    llm.reply({ text: 'Sure. Nobody is available right now, but I can take a message.' });
    const clip = readWav(path.join(FIXTURES, 'ast-vm-nobodyavail.wav')).pcm;
    const sim = await dialTwilio(server);
    await sim.connect();
    const t0 = Date.now();
    sim.start();

    // The greeting plays while the line carries silence.
    await sim.withSilence(() => untilQuiet(sim, 0));
    await sim.streamAudio(clip);
    const saidAt = sim.now();
    await sim.withSilence(() => untilQuiet(sim, saidAt));
    sim.stop();
    await sim.closed();
    const callMs = Date.now() - t0;

    // The LLM received the caller's words.
    const request = llm.requests.at(-1)!;
    const userMessage = [...request.messages].reverse().find((m) => m.role === 'user');
    const expected = words('nobody is available to take your call at the moment');
    const heardWords = words(String(userMessage?.content ?? ''));
    const recognised = expected.filter((w) => heardWords.includes(w));
    expect(recognised.length / expected.length).toBeGreaterThanOrEqual(0.5);
    expect(request.messages[0]).toMatchObject({ role: 'system' });

    // The reply came back as 20 ms µ-law media frames with marks.
    const media = sim.messages('media').filter((m) => m.atMs > saidAt);
    expect(media.length).toBeGreaterThan(50);
    for (const m of media.slice(0, 10)) {
      const payload = (m.raw.media as { payload: string }).payload;
      expect(Buffer.from(payload, 'base64').length).toBe(160);
      expect(m.raw.streamSid).toBe(sim.streamSid);
    }
    expect(sim.messages('mark').filter((m) => m.atMs > saidAt).length).toBeGreaterThanOrEqual(1);

    // The call row, its transcript and recording.
    await server.parley.active.size; // sessions finish asynchronously after the socket closed
    await expect
      .poll(async () => (await server.parley.calls.list()).calls[0]?.status, { timeout: 5000 })
      .toBe('completed');
    const { calls } = await server.parley.calls.list();
    const call = (await server.parley.calls.get(calls[0]!.id))!;
    expect(call.providerCallId).toBe(sim.callSid);
    expect(call.endReason).toBe('caller_hung_up');
    expect(call.durationMs).toBeGreaterThan(callMs - 2000);
    expect(call.durationMs).toBeLessThanOrEqual(callMs + 500);
    expect(call.transcript.map((t) => t.role)).toEqual(['assistant', 'user', 'assistant']);
    expect(call.transcript[2]!.text).toContain('take a message');
    expect(call.recordingPath).toMatch(/\d{4}[/\\]\d{2}[/\\][0-9a-f-]{36}\.wav$/);

    expect(call.recordingPath).not.toContain('..');
    const recordingFile = path.resolve(server.config.recordingsDir, call.recordingPath!);
    expect(existsSync(recordingFile)).toBe(true);
    const recording = readWav(recordingFile);
    expect(recording.channels).toBe(2);
    const recordingMs = (recording.pcm.length / 2 / recording.sampleRateHz) * 1000;
    expect(Math.abs(recordingMs - call.durationMs!)).toBeLessThan(1500);

    // Events, in order; the caller's turn has its voice timing.
    const events = await server.parley.events.list(call.id);
    expect(events.map((e) => e.type).filter((t) => t !== 'turn')).toEqual([
      'call_started',
      'agent_spoke',
      'user_spoke',
      'agent_spoke',
      'call_ended',
    ]);
    expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
    const turns = events.filter((e) => e.type === 'turn');
    expect(turns).toHaveLength(1);
    const timing = turns[0]!.data as Record<string, number | string>;
    expect(timing).toMatchObject({ turn: 1, outcome: 'played' });
    const steps = ['sttFinalMs', 'llmFirstTokenMs', 'firstSentenceMs', 'ttsFirstAudioMs', 'firstAudioSentMs'];
    const offsets = steps.map((k) => timing[k] as number);
    for (const v of offsets) expect(typeof v).toBe('number');
    // Each step happens no earlier than the one before it (the transcript may beat the turn's end).
    for (let i = 1; i < offsets.length; i++) expect(offsets[i]).toBeGreaterThanOrEqual(offsets[i - 1]!);
    expect(timing.firstSentencePlayedMs as number).toBeGreaterThanOrEqual(timing.firstAudioSentMs as number);
    const userSpokeAt = events.findIndex((e) => e.type === 'user_spoke');
    expect(events.findIndex((e) => e.type === 'turn')).toBeGreaterThan(userSpokeAt);
  }, 60_000);

  it('on barge-in clears Twilio, aborts the LLM and keeps only what the caller heard', async () => {
    const long =
      'Let me explain how this works in some detail. First we check your account. ' +
      'Then we look at your recent calls and messages. After that we will review your plan. ' +
      'Finally we can discuss the options that fit you best.';
    // Streams word by word (~9 s), still going when the caller's barge-in becomes an interruption:
    // wordless speech only pauses the bot; the local STT's words come when the caller stops.
    llm.reply({ text: long, chunkDelayMs: 200 });
    llm.reply({ text: 'Okay, I will stop there.' });
    const sim = await dialTwilio(server);
    await sim.connect();
    sim.start();
    await sim.withSilence(() => untilQuiet(sim, 0));

    const requestsBefore = llm.requests.length;
    await sim.streamAudio(readWav(path.join(FIXTURES, 'goforward.wav')).pcm);
    const saidAt = sim.now();
    // Let the caller hear about 1.5 s of the reply, then talk over it.
    await sim.withSilence(async () => {
      await sim.waitFor(() => sim.messages('media').some((m) => m.atMs > saidAt), 20_000, 'the reply');
      const replyAt = sim.messages('media').find((m) => m.atMs > saidAt)!.atMs;
      await sim.waitFor(() => sim.now() > replyAt + 1500, 5000, '1.5 s of reply');
    });
    const bargeAt = sim.now();
    await sim.streamAudio(readWav(path.join(FIXTURES, 'ast-check-number-dial-again.wav')).pcm);
    await sim.withSilence(() =>
      sim.waitFor(() => llm.requests.length >= requestsBefore + 2, 20_000, 'the next LLM request'),
    );
    sim.stop();
    await sim.closed();

    // Twilio was told to drop its buffer, soon after the caller started talking.
    const clear = sim.messages('clear').find((m) => m.atMs > bargeAt);
    expect(clear).toBeDefined();
    expect(clear!.atMs - bargeAt).toBeLessThan(1500);
    expect(clear!.raw).toEqual({ event: 'clear', streamSid: sim.streamSid });
    // The LLM stream in flight was aborted.
    expect(llm.abortedRequests).toBeGreaterThanOrEqual(1);
    // The next LLM run sees only what was played.
    const next = llm.requests[requestsBefore + 1]!;
    const assistant = next.messages.filter((m) => m.role === 'assistant').at(-1)!;
    const heard = words(String(assistant.content));
    const full = words(long);
    expect(heard.length).toBeGreaterThan(0);
    expect(heard.length).toBeLessThan(full.length);
    expect(heard).toEqual(full.slice(0, heard.length));

    await expect
      .poll(async () => (await server.parley.calls.list()).calls[0]?.status, { timeout: 5000 })
      .toBe('completed');
    const call = (await server.parley.calls.get((await server.parley.calls.list()).calls[0]!.id))!;
    expect(call.transcript.some((t) => t.role === 'assistant' && t.interrupted)).toBe(true);
  }, 90_000);
});
