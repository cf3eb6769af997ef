/**
 * Real-speech calls, end to end, on vendor services (see {@link useVendorServer}) for any
 * provider protocol: the caller's recorded speech reaches Deepgram at the call's rate, its
 * transcript the LLM, the LLM's reply the TTS, and the synthesized audio the caller; a barge-in
 * keeps exactly the words whose marks the caller's phone acknowledged.
 */
import { describe, expect, it } from 'vitest';
import type { Call } from '../../src/db/call-types.ts';
import type { CallSimulator, ReceivedMessage } from '../../src/tools/call-simulator.ts';
import { type AckGated, WORD_MARK } from './ack-gated-callers.ts';
import { untilQuiet } from './e2e.ts';
import { speech8k } from './fakes.ts';
import type { TestServer } from './server.ts';
import {
  type LLMVendor,
  scriptClip,
  type TTSVendor,
  useVendorServer,
  VENDOR_AGENT,
  VENDOR_GREETING,
  VENDOR_TEST_KEY,
  type VendorServer,
} from './vendor-fakes.ts';

/**
 * A `describe` block of two real-speech calls over `protocol` on a server whose agent uses `llm`
 * and `tts` (their fakes): the call end to end, and a barge-in keeping exactly the words whose
 * acknowledgements (`acknowledged`, e.g. "marks Twilio echoed") came back.
 */
export function describeVendorCalls<S extends CallSimulator & AckGated>(
  title: string,
  protocol: VendorCallProtocol<S>,
  llm: LLMVendor,
  tts: TTSVendor,
  acknowledged: string,
): void {
  describe(title, () => {
    const vendors = useVendorServer(llm, tts);

    it('carries the caller’s speech through every vendor and the reply back to the caller', async () => {
      await expectVendorCall(vendors, protocol);
    }, 60_000);

    it(`on barge-in keeps exactly the words whose ${acknowledged}`, async () => {
      await expectBargeInKeepsAcknowledgedWords(vendors, protocol);
    }, 60_000);
  });
}

/** How one provider's call is placed and what its messages look like. */
export interface VendorCallProtocol<S extends CallSimulator & AckGated> {
  /** The call row's `provider`. */
  readonly name: 'twilio' | 'exotel' | 'vobiz';
  /** A caller of `agent` whose call the server's webhook answered (not connected yet). */
  readonly dial: (server: TestServer, agent: string) => Promise<S>;
  /** The call id the provider gave (the call row's `providerCallId`). */
  readonly providerCallId: (sim: S) => string;
  /** The events of the bot's audio, and of the server's request to drop the provider's buffer. */
  readonly audioEvent: string;
  readonly clearEvent: string;
  /** Audio in one audio message, ms. */
  readonly chunkMs: number;
  /** The call's audio rate, Hz. */
  readonly rateHz: number;
  /** Audio bytes of one audio message (decoded payload). */
  readonly audioBytes: (message: ReceivedMessage) => number;
  /** Bytes per sample of the bot's audio on the wire (1: µ-law, 2: 16-bit PCM). */
  readonly bytesPerSample: number;
}

/** The caller's sentence, and the LLM's one-sentence reply. */
const CLIP = 'ast-vm-nobodyavail';
const REPLY = 'Nobody is available right now, but I can take a message.';

/** ms of audio in the messages, by their decoded length. */
function audioMs<S extends CallSimulator & AckGated>(
  protocol: VendorCallProtocol<S>,
  messages: ReceivedMessage[],
): number {
  const bytes = messages.reduce((n, m) => n + protocol.audioBytes(m), 0);
  return (bytes / protocol.bytesPerSample / protocol.rateHz) * 1000;
}

/** The finished call of `providerCallId` (polls until its status is terminal). */
async function finishedCall(server: TestServer, providerCallId: string): Promise<Call> {
  let id: string | undefined;
  await expect
    .poll(
      async () => {
        const { calls } = await server.parley.calls.list({ limit: 20 });
        const call = calls.find((c) => c.providerCallId === providerCallId);
        id = call?.id;
        return call?.status;
      },
      { timeout: 10_000 },
    )
    .toBe('completed');
  return (await server.parley.calls.get(id!))!;
}

/**
 * The caller hears the greeting, says a recorded sentence, hears the reply and hangs up; then
 * what each vendor fake received, the caller's audio, the stored call and its events are checked.
 */
export async function expectVendorCall<S extends CallSimulator & AckGated>(
  vendors: VendorServer,
  protocol: VendorCallProtocol<S>,
): Promise<void> {
  const { server, deepgram, llm, tts } = vendors;
  const { audioEvent, rateHz } = protocol;
  const llmBefore = llm.requestCount;
  const ttsBefore = tts.requests().length;
  const connectionsBefore = deepgram.connections.length;
  llm.reply(REPLY);
  const sim = await protocol.dial(server, VENDOR_AGENT);
  await sim.connect();
  sim.start();
  await sim.withSilence(() => untilQuiet(sim, 0, audioEvent));
  const greeting = sim.messages(audioEvent);

  const clip = speech8k(CLIP);
  const said = scriptClip(deepgram, CLIP, rateHz);
  await sim.streamAudio(clip);
  const saidAt = sim.now();
  await sim.withSilence(() => untilQuiet(sim, saidAt, audioEvent));
  const streamedMs = sim.now();
  sim.hangUp();
  await sim.closed();

  // Deepgram got the caller's audio as 16-bit PCM at the call's rate, with the server's key and the agent's language.
  expect(deepgram.connections.length).toBe(connectionsBefore + 1);
  const listen = deepgram.connections[connectionsBefore]!;
  expect(listen.authorization).toBe(`Token ${VENDOR_TEST_KEY}`);
  expect(Object.fromEntries(listen.query)).toMatchObject({
    encoding: 'linear16',
    sample_rate: String(rateHz),
    channels: '1',
    language: 'en-US',
  });
  // At least the clip, at most all the line carried (silence included), at 2 bytes a sample.
  expect(listen.audioBytes).toBeGreaterThanOrEqual(clip.length * 2);
  expect(listen.audioBytes).toBeLessThanOrEqual((streamedMs / 1000) * rateHz * 2 + rateHz);

  // The LLM was asked once, with the transcript as the caller's message, with the server's key.
  expect(llm.requestCount).toBe(llmBefore + 1);
  const turns = llm.turns(llmBefore);
  expect(turns.at(-1)).toEqual({ role: 'user', text: said });
  expect(turns).toContainEqual({ role: 'assistant', text: VENDOR_GREETING });
  expect(llm.apiKeys.at(-1)).toBe(VENDOR_TEST_KEY);

  // The TTS spoke the greeting, then the reply, in the call's native format.
  const spoken = tts.requests().slice(ttsBefore);
  expect(spoken.map((r) => r.text)).toEqual([VENDOR_GREETING, REPLY]);
  for (const r of spoken) {
    expect(r).toMatchObject({
      format: tts.expectedFormat(rateHz),
      apiKey: VENDOR_TEST_KEY,
      voice: tts.config.voice,
    });
  }

  // The caller received the synthesized audio, whole: each sentence padded to full messages.
  const padded = (text: string) => Math.ceil(tts.audioMs(text) / protocol.chunkMs) * protocol.chunkMs;
  expect(audioMs(protocol, greeting)).toBeCloseTo(padded(VENDOR_GREETING), 6);
  const reply = sim.messages(audioEvent).filter((m) => m.atMs > saidAt);
  expect(audioMs(protocol, reply)).toBeCloseTo(padded(REPLY), 6);

  // The stored call: transcript, events in order, no error; the turn went through every service.
  const call = await finishedCall(server, protocol.providerCallId(sim));
  expect(call.endReason).toBe('caller_hung_up');
  expect(call.transcript.map(({ role, text }) => ({ role, text }))).toEqual([
    { role: 'assistant', text: VENDOR_GREETING },
    { role: 'user', text: said },
    { role: 'assistant', text: REPLY },
  ]);
  const events = await server.parley.events.list(call.id);
  expect(events.map((e) => e.type).filter((t) => t !== 'turn')).toEqual([
    'call_started',
    'agent_spoke',
    'user_spoke',
    'agent_spoke',
    'call_ended',
  ]);
  // No event names the vendors: `call_started` names the agent and the telephony provider.
  expect(events[0]!.data).toMatchObject({ agentId: VENDOR_AGENT, provider: protocol.name });
  const turn = events.find((e) => e.type === 'turn')!.data;
  expect(turn).toMatchObject({ turn: 1, outcome: 'played' });
  for (const step of ['sttFinalMs', 'llmFirstTokenMs', 'ttsFirstAudioMs', 'firstAudioSentMs']) {
    expect(typeof turn[step]).toBe('number');
  }
}

/** The reply the caller talks over: one sentence, about 4 s of audio. */
const LONG_REPLY =
  'Let me explain how this works in some detail because there is quite a lot to cover today ' +
  'and I want to be sure that you follow every part of it before we go on to the next step.';
/** Word marks of the long reply the phone acknowledges before the caller talks over it. */
const ACKED_WORDS = 6;

/**
 * The caller asks something; the reply is long, with word timings from the TTS; the phone
 * acknowledges only its first {@link ACKED_WORDS} word marks (the audio keeps playing); then the
 * caller talks over it. The provider's buffer is cleared, and the next LLM request, the stored
 * transcript and the `agent_spoke` event hold exactly the acknowledged words.
 */
export async function expectBargeInKeepsAcknowledgedWords<S extends CallSimulator & AckGated>(
  vendors: VendorServer,
  protocol: VendorCallProtocol<S>,
): Promise<void> {
  const { server, deepgram, llm } = vendors;
  const { audioEvent } = protocol;
  llm.reply(LONG_REPLY);
  llm.reply('Okay, I will stop there.');
  const sim = await protocol.dial(server, VENDOR_AGENT);
  await sim.connect();
  sim.start();
  await sim.withSilence(() => untilQuiet(sim, 0, audioEvent));

  const llmBefore = llm.requestCount;
  const question = speech8k('goforward');
  const asked = scriptClip(deepgram, 'goforward', protocol.rateHz);
  // The greeting's marks were all acknowledged; of the reply's, only the first few will be.
  sim.gate.ackWords(ACKED_WORDS);
  await sim.streamAudio(question);
  const askedAt = sim.now();
  const wordAcks = () => sim.gate.sent.filter((a) => a.atMs > askedAt && WORD_MARK.test(a.name));
  await sim.withSilence(async () => {
    await sim.waitFor(() => wordAcks().length >= ACKED_WORDS, 20_000, 'the acknowledged words');
    const lastAckAt = sim.now();
    // The reply plays on, unacknowledged, for a moment before the caller talks over it.
    await sim.waitFor(() => sim.now() > lastAckAt + 300, 5000, '0.3 s more of the reply');
  });
  const bargeAt = sim.now();
  const interruption = speech8k('ast-check-number-dial-again');
  const barged = scriptClip(deepgram, 'ast-check-number-dial-again', protocol.rateHz);
  await sim.streamAudio(interruption);
  await sim.withSilence(() =>
    sim.waitFor(() => llm.requestCount >= llmBefore + 2, 20_000, 'the LLM request after the barge-in'),
  );
  sim.hangUp();
  await sim.closed();

  // The reply was still playing when the caller talked: the provider was told to drop its buffer.
  const replyAudio = sim.messages(audioEvent).filter((m) => m.atMs > askedAt);
  expect(audioMs(protocol, replyAudio)).toBeGreaterThan(bargeAt - replyAudio[0]!.atMs);
  const clear = sim.messages(protocol.clearEvent).find((m) => m.atMs > bargeAt);
  expect(clear).toBeDefined();
  // The words whose marks the phone acknowledged before the clear (later echoes are of cleared audio).
  const acked = wordAcks()
    .filter((a) => a.atMs < clear!.atMs)
    .map((a) => Number(WORD_MARK.exec(a.name)![3]));
  const heard = LONG_REPLY.split(' ').slice(0, acked.length).join(' ');

  // The next LLM request has the question, exactly the acknowledged words, then the barge-in.
  expect(llm.turns(llmBefore)).toContainEqual({ role: 'user', text: asked });
  const next = llm.turns(llmBefore + 1);
  expect(next.slice(-3)).toEqual([
    { role: 'user', text: asked },
    { role: 'assistant', text: heard },
    { role: 'user', text: barged },
  ]);

  // The stored transcript and events say the same, the reply marked interrupted.
  const call = await finishedCall(server, protocol.providerCallId(sim));
  const interrupted = call.transcript.filter((t) => t.interrupted);
  expect(interrupted.map(({ role, text }) => ({ role, text }))).toEqual([{ role: 'assistant', text: heard }]);
  const events = await server.parley.events.list(call.id);
  expect(
    events.filter((e) => e.type === 'agent_spoke' && e.data.interrupted === true).map((e) => e.data.text),
  ).toEqual([heard]);
  expect(events.filter((e) => e.type === 'error')).toEqual([]);
  // And those were the reply's first words, in order, as many as the phone was let acknowledge.
  expect(acked).toEqual(Array.from({ length: ACKED_WORDS }, (_, i) => i));
}

/**
 * The agent's LLM fails mid-call (HTTP 500 on the request and the SDK's retries): the caller's
 * turn is answered by the failover LLM, without an apology, and the stored events say so.
 */
export async function expectLlmFailoverMidCall<S extends CallSimulator & AckGated>(
  vendors: VendorServer,
  protocol: VendorCallProtocol<S>,
): Promise<void> {
  const { server, deepgram, llm, failoverLlm } = vendors;
  if (!failoverLlm) throw new Error('start the vendor server with a failover LLM');
  const { audioEvent, rateHz } = protocol;
  const backupBefore = failoverLlm.requestCount;
  llm.fail(500, 3); // the request and the SDK's two retries
  failoverLlm.reply(REPLY);
  const sim = await protocol.dial(server, VENDOR_AGENT);
  await sim.connect();
  sim.start();
  await sim.withSilence(() => untilQuiet(sim, 0, audioEvent));
  const said = scriptClip(deepgram, CLIP, rateHz);
  await sim.streamAudio(speech8k(CLIP));
  const saidAt = sim.now();
  await sim.withSilence(() => untilQuiet(sim, saidAt, audioEvent));
  sim.hangUp();
  await sim.closed();

  expect(failoverLlm.requestCount).toBe(backupBefore + 1);
  expect(failoverLlm.turns(backupBefore).at(-1)).toEqual({ role: 'user', text: said });
  const reply = sim.messages(audioEvent).filter((m) => m.atMs > saidAt);
  expect(audioMs(protocol, reply)).toBeGreaterThan(1000);
  const call = await finishedCall(server, protocol.providerCallId(sim));
  expect(call.transcript.map(({ role, text }) => ({ role, text }))).toEqual([
    { role: 'assistant', text: VENDOR_GREETING },
    { role: 'user', text: said },
    { role: 'assistant', text: REPLY },
  ]);
  const events = await server.parley.events.list(call.id);
  expect(events.filter((e) => e.type === 'service_switched').map((e) => e.data)).toEqual([
    {
      service: 'llm',
      from: `llm:${llm.provider}`,
      to: `failover.llm.0:${failoverLlm.provider}`,
      reason: 'failure',
      error: expect.any(String),
    },
  ]);
  expect(events.filter((e) => e.type === 'error')).toEqual([]);
}
