import { describe, it } from 'vitest';
import type { ReceivedMessage } from '../src/tools/call-simulator.ts';
import { type AckGatedVobizCaller, dialGatedVobiz } from './helpers/ack-gated-callers.ts';
import {
  expectBargeInKeepsAcknowledgedWords,
  expectVendorCall,
  type VendorCallProtocol,
} from './helpers/vendor-call.ts';
import { useVendorServer } from './helpers/vendor-fakes.ts';

const payloadBytes = (m: ReceivedMessage) =>
  Buffer.from(String((m.raw.media as { payload: unknown }).payload), 'base64').length;

/** Vobiz: `playAudio` of 20 ms µ-law at 8 kHz, `checkpoint`s answered by `playedStream`, `clearAudio`. */
const vobiz: VendorCallProtocol<AckGatedVobizCaller> = {
  name: 'vobiz',
  dial: dialGatedVobiz,
  providerCallId: (sim) => sim.callId,
  audioEvent: 'playAudio',
  clearEvent: 'clearAudio',
  chunkMs: 20,
  rateHz: 8000,
  audioBytes: payloadBytes,
  bytesPerSample: 1,
};

describe('a Vobiz call on Deepgram, Claude and ElevenLabs (their fakes), on real speech', () => {
  const vendors = useVendorServer('anthropic', 'elevenlabs');

  it('carries the caller’s speech through every vendor and the reply back to the caller', async () => {
    await expectVendorCall(vendors, vobiz);
  }, 60_000);

  it('on barge-in keeps exactly the words whose checkpoints Vobiz answered', async () => {
    await expectBargeInKeepsAcknowledgedWords(vendors, vobiz);
  }, 60_000);
});

describe('a Vobiz call on Deepgram, Gemini and Cartesia (their fakes, Cartesia over TLS), on real speech', () => {
  const vendors = useVendorServer('google', 'cartesia');

  it('carries the caller’s speech through every vendor and the reply back to the caller', async () => {
    await expectVendorCall(vendors, vobiz);
  }, 60_000);

  it('on barge-in keeps exactly the words whose checkpoints Vobiz answered', async () => {
    await expectBargeInKeepsAcknowledgedWords(vendors, vobiz);
  }, 60_000);
});
