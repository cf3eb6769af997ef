import type { ReceivedMessage } from '../src/tools/call-simulator.ts';
import { type AckGatedExotelCaller, dialGatedExotel } from './helpers/ack-gated-callers.ts';
import { describeVendorCalls, type VendorCallProtocol } from './helpers/vendor-call.ts';

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

describeVendorCalls(
  'an Exotel call on Deepgram, Gemini and ElevenLabs (their fakes), on real speech',
  exotel,
  'google',
  'elevenlabs',
  'marks Exotel echoed',
);

describeVendorCalls(
  'an Exotel call on Deepgram, Claude and Cartesia (their fakes, Cartesia over TLS), on real speech',
  exotel,
  'anthropic',
  'cartesia',
  'marks Exotel echoed',
);
