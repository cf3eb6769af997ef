/**
 * One real-speech call, end to end, for any provider: the caller hears the greeting, says a
 * recorded sentence, hears the reply and hangs up; then the LLM request, the provider messages,
 * the call row, its recording and its events are checked. Needs the local STT and TTS
 * (pocketsphinx, Flite) and a `FakeOpenAIServer` as the LLM.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { readWav } from '@parley/pipeline';
import { FakeOpenAIServer } from '@parley/services/testing';
import { afterAll, beforeAll, expect } from 'vitest';
import { type EngineStatus, fixedEngines } from '../../src/calls/engines.ts';
import { type CallServices, defaultServiceFactory } from '../../src/calls/services.ts';
import type { CallSimulator, ReceivedMessage } from '../../src/tools/call-simulator.ts';
import { speech8k } from './fakes.ts';
import { startTestServer, type TestServer } from './server.ts';

/** Changes each call's services (e.g. registers a function on its LLM). */
export type ServicesHook = (services: CallServices) => void;

/** A server with the production services (local STT and TTS) and a fake LLM. */
async function startSpeechServer(
  engines: EngineStatus,
  hook?: ServicesHook,
  env: Record<string, string> = {},
): Promise<{ server: TestServer; llm: FakeOpenAIServer }> {
  const llm = await FakeOpenAIServer.start();
  const server = await startTestServer(
    (config, credentials) => {
      const factory = defaultServiceFactory(config, fixedEngines(engines), credentials);
      return async (agent) => {
        const services = await factory(agent);
        hook?.(services);
        return services;
      };
    },
    { OPENAI_API_KEY: 'test-key', OPENAI_BASE_URL: llm.url, ...env },
  );
  return { server, llm };
}

/** A speech server and its fake LLM. */
export interface SpeechServer {
  readonly server: TestServer;
  readonly llm: FakeOpenAIServer;
}

/**
 * Starts a speech server (see {@link startSpeechServer}) before the calling `describe` block's
 * tests and closes it after them.
 * @returns The server and LLM; reading them before `beforeAll` ran throws.
 */
export function useSpeechServer(
  engines: EngineStatus,
  hook?: ServicesHook,
  env: Record<string, string> = {},
): SpeechServer {
  let started: SpeechServer | undefined;
  const get = (): SpeechServer => {
    if (started === undefined) throw new Error('the speech server is not started');
    return started;
  };
  beforeAll(async () => {
    started = await startSpeechServer(engines, hook, env);
  }, 60_000);
  afterAll(async () => {
    await started?.server.close();
    await started?.llm.close();
  });
  return {
    get server() {
      return get().server;
    },
    get llm() {
      return get().llm;
    },
  };
}

/** Lower-case words, punctuation dropped. */
export const words = (s: string): string[] =>
  s
    .toLowerCase()
    .replace(/[^a-z' ]/g, ' ')
    .split(/\s+/)
    .filter(Boolean);

/**
 * Wait until the simulator has heard the bot go quiet for `quietMs` after `sinceMs`.
 * @param audioEvent - The event that carries the bot's audio (`media`, Vobiz `playAudio`).
 */
export async function untilQuiet(
  sim: CallSimulator,
  sinceMs: number,
  audioEvent = 'media',
  quietMs = 1200,
  timeoutMs = 20_000,
): Promise<void> {
  await sim.waitFor(
    () => {
      const last = sim.messages(audioEvent).findLast((m) => m.atMs >= sinceMs);
      return last !== undefined && sim.now() - last.atMs > quietMs;
    },
    timeoutMs,
    'the bot to finish speaking',
  );
}

/** How one provider's call is placed and what its messages look like. */
export interface SpeechCallProvider<S extends CallSimulator> {
  /** A caller whose call the server's webhook answered (not connected yet). */
  readonly dial: (server: TestServer) => Promise<S>;
  /** The call id the provider gave (the call row's `providerCallId`). */
  readonly providerCallId: (sim: S) => string;
  /** The events of the bot's audio and of its marks (`media`/`mark`, Vobiz `playAudio`/`checkpoint`). */
  readonly audioEvent: string;
  readonly markEvent: string;
  /** Audio in one audio message, ms. */
  readonly chunkMs: number;
  /** Checks one audio message of the reply: its size, encoding and stream id. */
  readonly checkAudio: (message: ReceivedMessage, sim: S) => void;
  /** Checks the reply's audio messages together (e.g. its audio's byte order). */
  readonly checkReply?: (messages: ReceivedMessage[]) => void;
}

/** The caller's sentence and the reply the LLM is told to give. */
const CLIP = 'ast-vm-nobodyavail';
const SAID = 'nobody is available to take your call at the moment';
const REPLY = 'Sure. Nobody is available right now, but I can take a message.';

/** Plays the call and checks everything it left behind. */
export async function expectSpeechCall<S extends CallSimulator>(
  server: TestServer,
  llm: FakeOpenAIServer,
  provider: SpeechCallProvider<S>,
): Promise<void> {
  const { audioEvent } = provider;
  llm.reply({ text: REPLY });
  const sim = await provider.dial(server);
  await sim.connect();
  const t0 = Date.now();
  sim.start();

  // The greeting plays while the line carries silence.
  await sim.withSilence(() => untilQuiet(sim, 0, audioEvent));
  await sim.streamAudio(speech8k(CLIP));
  const saidAt = sim.now();
  await sim.withSilence(() => untilQuiet(sim, saidAt, audioEvent));
  sim.hangUp();
  await sim.closed();
  const callMs = Date.now() - t0;

  // The LLM received the caller's words.
  const request = llm.requests.at(-1)!;
  const userMessage = request.messages.findLast((m) => m.role === 'user');
  const heardWords = words(String(userMessage?.content ?? ''));
  const expected = words(SAID);
  const recognised = expected.filter((w) => heardWords.includes(w));
  expect(recognised.length / expected.length).toBeGreaterThanOrEqual(0.5);
  expect(request.messages[0]).toMatchObject({ role: 'system' });

  // The reply came back as the provider's audio messages, with marks.
  const reply = sim.messages(audioEvent).filter((m) => m.atMs > saidAt);
  expect(reply.length * provider.chunkMs).toBeGreaterThan(1000);
  for (const m of reply) provider.checkAudio(m, sim);
  provider.checkReply?.(reply);
  expect(sim.messages(provider.markEvent).filter((m) => m.atMs > saidAt).length).toBeGreaterThanOrEqual(1);

  // The call row, its transcript and recording.
  const providerCallId = provider.providerCallId(sim);
  let callId: string | undefined;
  await expect
    .poll(
      async () => {
        const { calls } = await server.parley.calls.list({ limit: 20 });
        const call = calls.find((c) => c.providerCallId === providerCallId);
        callId = call?.id;
        return call?.status;
      },
      { timeout: 5000 },
    )
    .toBe('completed');
  const call = (await server.parley.calls.get(callId!))!;
  expect(call.endReason).toBe('caller_hung_up');
  expect(call.durationMs).toBeGreaterThan(callMs - 2000);
  // The server times the call from its own start to its own end; a loaded machine delays both.
  expect(call.durationMs).toBeLessThanOrEqual(callMs + 2000);
  expect(call.transcript.map((t) => t.role)).toEqual(['assistant', 'user', 'assistant']);
  expect(call.transcript[2]!.text).toContain('take a message');
  expect(call.recordingPath).toMatch(/\d{4}[/\\]\d{2}[/\\][0-9a-f-]{36}\.wav$/);
  expect(call.recordingPath).not.toContain('..');
  const recordingFile = path.resolve(server.config.recordingsDir, call.recordingPath!);
  expect(existsSync(recordingFile)).toBe(true);
  const recording = readWav(recordingFile);
  expect(recording.channels).toBe(2);
  const recordingMs = (recording.pcm.length / 2 / recording.sampleRateHz) * 1000;
  // The recording starts with the pipeline, after the call was marked live in the database:
  // on a loaded machine that write alone can take a second or two.
  expect(Math.abs(recordingMs - call.durationMs!)).toBeLessThan(3000);

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
}
