import { checkLocalEngines } from '@parley/services';
import { describe, expect, it } from 'vitest';
import type { VobizCallSimulator } from '../src/tools/vobiz-call-simulator.ts';
import { dialVobiz } from './helpers/answer.ts';
import { expectSpeechCall, type SpeechCallProvider, useSpeechServer } from './helpers/e2e.ts';

import {
  expectAnsweredAfterFunctionCall,
  expectAnsweredOverGreeting,
  GatedFunction,
} from './helpers/kept-speech.ts';

const engines = await checkLocalEngines();
const lookup = new GatedFunction();

/** Vobiz: `playAudio` of 20 ms µ-law at 8000 Hz and `checkpoint`s; the simulator plays nothing else. */
const vobiz: SpeechCallProvider<VobizCallSimulator> = {
  dial: (server) => dialVobiz(server),
  providerCallId: (sim) => sim.callId,
  audioEvent: 'playAudio',
  markEvent: 'checkpoint',
  chunkMs: 20,
  checkAudio: (m, sim) => {
    expect(Object.keys(m.raw).sort()).toEqual(['event', 'media']);
    const media = m.raw.media as Record<string, unknown>;
    expect(media).toMatchObject({ contentType: 'audio/x-mulaw', sampleRate: 8000 });
    expect(Buffer.from(String(media.payload), 'base64').length).toBe(160);
    expect(sim.protocolErrors).toEqual([]);
  },
};

describe.skipIf(!engines.stt.ok || !engines.tts.ok)('a Vobiz call end to end, on real speech', () => {
  const speech = useSpeechServer(engines, lookup.hook);

  it('hears the caller, answers through the LLM, and stores the call, events and recording', async () => {
    await expectSpeechCall(speech.server, speech.llm, vobiz);
  }, 60_000);

  it('answers what the caller said over the greeting once the greeting ends', async () => {
    await expectAnsweredOverGreeting(speech.server, speech.llm, vobiz);
  }, 60_000);

  it('answers what the caller said during a function call once its result is in', async () => {
    await expectAnsweredAfterFunctionCall(speech.server, speech.llm, vobiz, lookup);
  }, 60_000);
});
