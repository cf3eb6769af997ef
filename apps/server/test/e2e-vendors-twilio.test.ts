import { describe, it } from 'vitest';
import type { ReceivedMessage } from '../src/tools/call-simulator.ts';
import { type AckGatedTwilioCaller, dialGatedTwilio } from './helpers/ack-gated-callers.ts';
import {
  describeVendorCalls,
  expectLlmFailoverMidCall,
  type VendorCallProtocol,
} from './helpers/vendor-call.ts';
import { useVendorServer } from './helpers/vendor-fakes.ts';

const payloadBytes = (m: ReceivedMessage) =>
  Buffer.from((m.raw.media as { payload: string }).payload, 'base64').length;

/** Twilio: 20 ms µ-law `media` at 8 kHz, `mark`s, `clear`. */
const twilio: VendorCallProtocol<AckGatedTwilioCaller> = {
  name: 'twilio',
  dial: dialGatedTwilio,
  providerCallId: (sim) => sim.callSid,
  audioEvent: 'media',
  clearEvent: 'clear',
  chunkMs: 20,
  rateHz: 8000,
  audioBytes: payloadBytes,
  bytesPerSample: 1,
};

describeVendorCalls(
  'a Twilio call on Deepgram, Claude and ElevenLabs (their fakes), on real speech',
  twilio,
  'anthropic',
  'elevenlabs',
  'marks Twilio echoed',
);

describeVendorCalls(
  'a Twilio call on Deepgram, Gemini and Cartesia (their fakes, Cartesia over TLS), on real speech',
  twilio,
  'google',
  'cartesia',
  'marks Twilio echoed',
);

describe('a Twilio call whose LLM fails mid-call (Claude, then Gemini)', () => {
  const vendors = useVendorServer('anthropic', 'elevenlabs', 'google');

  it('answers the turn from the failover LLM and records the switch', async () => {
    await expectLlmFailoverMidCall(vendors, twilio);
  }, 60_000);
});
