import type { ReceivedMessage } from '../src/tools/call-simulator.ts';
import { type AckGatedVobizCaller, dialGatedVobiz } from './helpers/ack-gated-callers.ts';
import { describeVendorCalls, type VendorCallProtocol } from './helpers/vendor-call.ts';

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

describeVendorCalls(
  'a Vobiz call on Deepgram, Claude and ElevenLabs (their fakes), on real speech',
  vobiz,
  'anthropic',
  'elevenlabs',
  'checkpoints Vobiz answered',
);

describeVendorCalls(
  'a Vobiz call on Deepgram, Gemini and Cartesia (their fakes, Cartesia over TLS), on real speech',
  vobiz,
  'google',
  'cartesia',
  'checkpoints Vobiz answered',
);
