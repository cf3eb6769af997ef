import { checkLocalEngines } from '@parley/services';
import { describe, expect, it } from 'vitest';
import type { TwilioCallSimulator } from '../src/tools/twilio-call-simulator.ts';
import { dialTwilio } from './helpers/answer.ts';
import {
  expectSpeechCall,
  type SpeechCallProvider,
  untilQuiet,
  useSpeechServer,
  words,
} from './helpers/e2e.ts';
import { speech8k } from './helpers/fakes.ts';

import {
  expectAnsweredAfterFunctionCall,
  expectAnsweredOverGreeting,
  GatedFunction,
} from './helpers/kept-speech.ts';

const engines = await checkLocalEngines();
const lookup = new GatedFunction();

/** Twilio: 20 ms µ-law `media` frames and `mark`s on the call's stream. */
const twilio: SpeechCallProvider<TwilioCallSimulator> = {
  dial: (server) => dialTwilio(server),
  providerCallId: (sim) => sim.callSid,
  audioEvent: 'media',
  markEvent: 'mark',
  chunkMs: 20,
  checkAudio: (m, sim) => {
    const payload = (m.raw.media as { payload: string }).payload;
    expect(Buffer.from(payload, 'base64').length).toBe(160);
    expect(m.raw.streamSid).toBe(sim.streamSid);
  },
};

describe.skipIf(!engines.stt.ok || !engines.tts.ok)('a Twilio call end to end, on real speech', () => {
  const speech = useSpeechServer(engines, lookup.hook);

  it('hears the caller, answers through the LLM, and stores the call, events and recording', async () => {
    await expectSpeechCall(speech.server, speech.llm, twilio);
  }, 60_000);

  it('answers what the caller said over the greeting once the greeting ends', async () => {
    await expectAnsweredOverGreeting(speech.server, speech.llm, twilio);
  }, 60_000);

  it('answers what the caller said during a function call once its result is in', async () => {
    await expectAnsweredAfterFunctionCall(speech.server, speech.llm, twilio, lookup);
  }, 60_000);

  it('on barge-in clears Twilio, aborts the LLM and keeps only what the caller heard', async () => {
    const { server, llm } = speech;
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
    await sim.streamAudio(speech8k('goforward'));
    const saidAt = sim.now();
    // Let the caller hear about 1.5 s of the reply, then talk over it.
    await sim.withSilence(async () => {
      await sim.waitFor(() => sim.messages('media').some((m) => m.atMs > saidAt), 20_000, 'the reply');
      const replyAt = sim.messages('media').find((m) => m.atMs > saidAt)!.atMs;
      await sim.waitFor(() => sim.now() > replyAt + 1500, 5000, '1.5 s of reply');
    });
    const bargeAt = sim.now();
    await sim.streamAudio(speech8k('ast-check-number-dial-again'));
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
