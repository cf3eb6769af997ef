/**
 * Fake services, agents and call look-ups shared by the stream tests.
 */
import path from 'node:path';
import { readWav } from '@parley/pipeline';
import { OpenAILLMService } from '@parley/services';
import { FakeOpenAIServer, FakeSTTService, FakeTTSService } from '@parley/services/testing';
import { afterAll, beforeAll, expect } from 'vitest';
import { responseTimeout, type ServiceFactory } from '../../src/calls/services.ts';
import type { AgentConfig, AgentConfigInput } from '../../src/config/agent-config.ts';
import type { Call, CallSummary } from '../../src/db/call-types.ts';
import type { RefusalKind } from '../../src/limits/refusals.ts';
import { startTestServer, type TestServer } from './server.ts';

/** Real speech clips at 8 kHz (see test-fixtures/speech/README.md). */
export const SPEECH_8K = path.resolve(import.meta.dirname, '../../../../test-fixtures/speech/8k');

/** A speech clip from {@link SPEECH_8K}: 16-bit PCM at 8 kHz. */
export function speech8k(name: string): Int16Array {
  return readWav(path.join(SPEECH_8K, `${name}.wav`)).pcm;
}

/**
 * Services for stream tests: the agent's `stt.options.transcripts` is what its fake STT hears,
 * one transcript each time the caller stops speaking (Silero VAD still decides when, so
 * callers must send real speech); the LLM is the OpenAI client against the agent's
 * `llm.baseUrl`, else `llmUrl` (a `FakeOpenAIServer`), with its `responseTimeoutSecs`; the TTS plays a 440 Hz tone, `msPerChar` ms a character.
 */
export function fakeServices(llmUrl: string, msPerChar = 20): ServiceFactory {
  return (config) => ({
    stt: new FakeSTTService({ transcripts: scriptedTranscripts(config) }),
    llm: new OpenAILLMService({
      apiKey: 'test',
      baseUrl: config.llm.baseUrl ?? llmUrl,
      ...responseTimeout(config.llm.responseTimeoutSecs),
    }),
    tts: new FakeTTSService({ msPerChar }),
    problems: [],
  });
}

/** A test server on {@link fakeServices} and the fake LLM it talks to (answering "Okay." by default). */
export interface FakeServicesServer {
  readonly server: TestServer;
  readonly llm: FakeOpenAIServer;
}

/**
 * Starts a {@link FakeServicesServer} (with the environment variables `env`) before the calling
 * `describe` block's tests, hands it to `use` (which may set it up further), and closes it after
 * them.
 */
export function useFakeServicesServer(
  use: (started: FakeServicesServer) => void | Promise<void>,
  env: Record<string, string> = {},
): void {
  let started: FakeServicesServer | undefined;
  beforeAll(async () => {
    const llm = await FakeOpenAIServer.start({ defaultReply: { text: 'Okay.' } });
    started = { llm, server: await startTestServer(() => fakeServices(llm.url), env) };
    await use(started);
  }, 60_000);
  afterAll(async () => {
    await started?.server.close();
    await started?.llm.close();
  });
}

/** The transcripts a `fake` STT's `options.transcripts` scripts. */
export function scriptedTranscripts(config: AgentConfig): string[] {
  const options = config.stt.options as { transcripts?: unknown } | undefined;
  const script = options?.transcripts;
  return Array.isArray(script) ? script.filter((t): t is string => typeof t === 'string') : [];
}

/**
 * Stores agent `id`: the demo agent's prompt with fake STT and TTS, changed by `config`.
 * @param transcripts - What the fake STT hears, in order.
 */
export async function putAgent(
  server: TestServer,
  id: string,
  config: Partial<AgentConfigInput> = {},
  transcripts: string[] = [],
): Promise<void> {
  await server.parley.agents.upsert({
    id,
    name: id,
    config: {
      prompt: 'You are a test agent.',
      stt: { provider: 'fake', options: { transcripts } },
      tts: { provider: 'fake' },
      llm: { provider: 'openai' },
      ...config,
    },
  });
}

/** The reply a barge-in test's caller talks over: long enough to still be playing. */
const LONG_REPLY =
  'Sure. Let me explain how this works in some detail, because there is quite a lot to cover today. ' +
  'First we check your account, then we look at your recent calls and your messages.';

/**
 * Sets up a barge-in: stores agent `id` (no greeting; 3 s idle timeout without prompts, `userIdle`
 * added) whose fake STT hears "go forward ten meters", then "please check the number", and
 * queues on `llm` a long first reply for the caller to talk over.
 */
export async function putBargeInAgent(
  server: TestServer,
  llm: FakeOpenAIServer,
  id: string,
  userIdle: Partial<AgentConfigInput['userIdle']> = {},
): Promise<void> {
  await putAgent(server, id, { userIdle: { timeoutSecs: 3, maxPrompts: 0, ...userIdle } }, [
    'go forward ten meters',
    'please check the number',
  ]);
  llm.reply({ text: LONG_REPLY });
}

/** The call, once it reached a terminal status (polls the database). */
export async function finishedCall(
  server: TestServer,
  predicate: (c: CallSummary) => boolean,
): Promise<Call> {
  let found: Call | undefined;
  await expect
    .poll(
      async () => {
        const { calls } = await server.parley.calls.list({ limit: 20 });
        const hit = calls.find((c) => c.status !== 'ringing' && c.status !== 'in_progress' && predicate(c));
        found = hit ? await server.parley.calls.get(hit.id) : undefined;
        return found !== undefined;
      },
      { timeout: 15_000 },
    )
    .toBe(true);
  return found!;
}

/** How many calls the server has stored, of every provider and status. */
export async function callCount(server: TestServer): Promise<number> {
  return (await server.parley.calls.list({ limit: 1 })).total;
}

/**
 * Runs `act`, which makes the server refuse something, and checks that the refusal was counted
 * once as `kind` and that no call row was written meanwhile.
 * @returns What `act` resolved to.
 */
export async function expectRefused<T>(
  server: TestServer,
  kind: RefusalKind,
  act: () => Promise<T>,
): Promise<T> {
  const before = server.parley.refusals.snapshot()[kind];
  const rows = await callCount(server);
  const result = await act();
  await expect.poll(() => server.parley.refusals.snapshot()[kind], { timeout: 10_000 }).toBe(before + 1);
  expect(await callCount(server)).toBe(rows);
  return result;
}

/** A finished call's `error` events' codes, in order. */
export async function errorCodes(server: TestServer, callId: string): Promise<unknown[]> {
  const events = await server.parley.events.list(callId);
  return events.filter((e) => e.type === 'error').map((e) => e.data.code);
}

/** Peak absolute sample of 16-bit PCM. */
export function peak(pcm: Int16Array): number {
  let max = 0;
  for (const s of pcm) max = Math.max(max, Math.abs(s));
  return max;
}
