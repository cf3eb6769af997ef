import { pcmFromBytes } from '@parley/pipeline';
import { checkLocalEngines } from '@parley/services';
import { describe, expect, it } from 'vitest';
import type { ReceivedMessage } from '../src/tools/call-simulator.ts';
import type { ExotelCallSimulator } from '../src/tools/exotel-call-simulator.ts';
import { dialExotel } from './helpers/answer.ts';
import { expectSpeechCall, type SpeechCallProvider, useSpeechServer } from './helpers/e2e.ts';

import {
  expectAnsweredAfterFunctionCall,
  expectAnsweredOverGreeting,
  GatedFunction,
} from './helpers/kept-speech.ts';

const engines = await checkLocalEngines();
const lookup = new GatedFunction();

/**
 * Mean step between neighbouring samples over the mean level: about 0.3 to 0.6 for 8 kHz
 * speech (more in fricatives), about 1.3 for noise such as byte-swapped speech.
 */
function roughness(pcm: Int16Array): number {
  let steps = 0;
  let level = 0;
  for (let i = 1; i < pcm.length; i++) {
    steps += Math.abs(pcm[i]! - pcm[i - 1]!);
    level += Math.abs(pcm[i]!);
  }
  return steps / level;
}

const payloadOf = (m: ReceivedMessage) => Buffer.from((m.raw.media as { payload: string }).payload, 'base64');

/**
 * Exotel: 200 ms `media` chunks of 16-bit little-endian PCM (3200 bytes, a multiple of 320
 * within Exotel's 3200..102400) and `mark`s, keyed `stream_sid` as the caller's start was.
 */
const exotel: SpeechCallProvider<ExotelCallSimulator> = {
  dial: (server) => dialExotel(server),
  providerCallId: (sim) => sim.callSid,
  audioEvent: 'media',
  markEvent: 'mark',
  chunkMs: 200,
  checkAudio: (m, sim) => {
    expect(Object.keys(m.raw).sort()).toEqual(['event', 'media', 'stream_sid']);
    expect(m.raw.stream_sid).toBe(sim.streamSid);
    expect(payloadOf(m).length).toBe(3200);
  },
  // Read little-endian, the reply is speech; byte-swapped it would be noise.
  checkReply: (messages) => {
    const pcm = pcmFromBytes(new Uint8Array(Buffer.concat(messages.map(payloadOf))));
    expect(roughness(pcm)).toBeLessThan(0.9);
  },
};

describe.skipIf(!engines.stt.ok || !engines.tts.ok)('an Exotel call end to end, on real speech', () => {
  const speech = useSpeechServer(engines, lookup.hook);

  it('hears the caller, answers through the LLM, and stores the call, events and recording', async () => {
    await expectSpeechCall(speech.server, speech.llm, exotel);
  }, 60_000);

  it('answers what the caller said over the greeting once the greeting ends', async () => {
    await expectAnsweredOverGreeting(speech.server, speech.llm, exotel);
  }, 60_000);

  it('answers what the caller said during a function call once its result is in', async () => {
    await expectAnsweredAfterFunctionCall(speech.server, speech.llm, exotel, lookup);
  }, 60_000);
});
