import { describe, it } from 'vitest';
import type { ReceivedMessage } from '../src/tools/call-simulator.ts';
import { type AckGatedExotelCaller, dialGatedExotel } from './helpers/ack-gated-callers.ts';
import {
  expectBargeInKeepsAcknowledgedWords,
  expectVendorCall,
  type VendorCallProtocol,
} from './helpers/vendor-call.ts';
import { useVendorServer } from './helpers/vendor-fakes.ts';

const payloadBytes = (m: ReceivedMessage) =>
  Buffer.from((m.raw.media as { payload: string }).payload, 'base64').length;

/** Exotel: 200 ms `media` chunks of 16-bit PCM at 8 kHz, `mark`s, `clear`. */
const exotel: VendorCallProtocol<AckGatedExotelCaller> = {
  name: 'exotel',
  dial: dialGatedExotel,
  providerCallId: (sim) => sim.callSid,
  audioEvent: 'media',
  clearEvent: 'clear',
  chunkMs: 200,
  rateHz: 8000,
  audioBytes: payloadBytes,
  bytesPerSample: 2,
};

describe('an Exotel call on Deepgram, Gemini and ElevenLabs (their fakes), on real speech', () => {
  const vendors = useVendorServer('google', 'elevenlabs');

  it('carries the caller’s speech through every vendor and the reply back to the caller', async () => {
    await expectVendorCall(vendors, exotel);
  }, 60_000);

  it('on barge-in keeps exactly the words whose marks Exotel echoed', async () => {
    await expectBargeInKeepsAcknowledgedWords(vendors, exotel);
  }, 60_000);
});

describe('an Exotel call on Deepgram, Claude and Cartesia (their fakes, Cartesia over TLS), on real speech', () => {
  const vendors = useVendorServer('anthropic', 'cartesia');

  it('carries the caller’s speech through every vendor and the reply back to the caller', async () => {
    await expectVendorCall(vendors, exotel);
  }, 60_000);

  it('on barge-in keeps exactly the words whose marks Exotel echoed', async () => {
    await expectBargeInKeepsAcknowledgedWords(vendors, exotel);
  }, 60_000);
});
