/**
 * Real-speech checks that what a caller says while muted (over the greeting, during a function
 * call) is kept and answered, for any provider (see {@link SpeechCallProvider}).
 */
import type { FakeOpenAIServer } from '@parley/services/testing';
import { expect } from 'vitest';
import type { CallSimulator } from '../../src/tools/call-simulator.ts';
import { type ServicesHook, type SpeechCallProvider, untilQuiet, words } from './e2e.ts';
import { speech8k } from './fakes.ts';
import type { TestServer } from './server.ts';

const CLIP = 'ast-vm-nobodyavail';
const SAID = 'nobody is available to take your call at the moment';

/** Share of the clip's words found in `text`. */
function recognised(text: string): number {
  const heard = words(text);
  const expected = words(SAID);
  return expected.filter((w) => heard.includes(w)).length / expected.length;
}

/** The text of the last user message of the LLM's last request. */
function lastUserText(llm: FakeOpenAIServer): string {
  const request = llm.requests.at(-1);
  return String(request?.messages.findLast((m) => m.role === 'user')?.content ?? '');
}

/**
 * The caller starts talking 0.5 s into the greeting and keeps on for the whole clip: the
 * greeting plays out (it is not interrupted), then the LLM is asked with the caller's words
 * and its reply is played.
 */
export async function expectAnsweredOverGreeting<S extends CallSimulator>(
  server: TestServer,
  llm: FakeOpenAIServer,
  provider: SpeechCallProvider<S>,
): Promise<void> {
  const { audioEvent } = provider;
  const before = llm.requests.length;
  llm.reply({ text: 'Sure. I can take a message for them.' });
  const sim = await provider.dial(server);
  await sim.connect();
  sim.start();
  await sim.withSilence(() => sim.waitFor(() => sim.messages(audioEvent).length > 0, 15_000, 'the greeting'));
  const greetingAt = sim.messages(audioEvent)[0]!.atMs;
  await sim.withSilence(() => sim.waitFor(() => sim.now() >= greetingAt + 500, 5000, '0.5 s of greeting'));
  await sim.streamAudio(speech8k(CLIP));
  await sim.withSilence(() => sim.waitFor(() => llm.requests.length > before, 20_000, 'the LLM request'));
  const askedAt = sim.now();
  await sim.withSilence(() => untilQuiet(sim, askedAt, audioEvent));
  sim.hangUp();
  await sim.closed();

  expect(llm.requests.length).toBe(before + 1);
  expect(recognised(lastUserText(llm))).toBeGreaterThanOrEqual(0.5);
  // The greeting was not cut: no clear while it played.
  expect(sim.messages('clear').concat(sim.messages('clearAudio'))).toEqual([]);
  // The reply was played after the request.
  const reply = sim.messages(audioEvent).filter((m) => m.atMs > askedAt);
  expect(reply.length * provider.chunkMs).toBeGreaterThan(1000);
}

/** A slow function the LLM calls: it runs until the test releases it. */
export class GatedFunction {
  readonly name = 'lookup_order';
  private started: (() => void) | undefined;
  private release: (() => void) | undefined;
  /** Resolves when the LLM called the function. */
  readonly called = new Promise<void>((resolve) => {
    this.started = resolve;
  });
  private readonly released = new Promise<void>((resolve) => {
    this.release = resolve;
  });

  /** Registers the function on every call's LLM. */
  readonly hook: ServicesHook = (services) => {
    services.llm.registerFunction(
      this.name,
      async () => {
        this.started?.();
        await this.released;
        return { status: 'shipped', eta: 'tomorrow' };
      },
      { timeoutMs: 30_000, cancelOnInterruption: false },
    );
  };

  /** Lets the running call return its result. */
  finish(): void {
    this.release?.();
  }
}

/**
 * The caller asks, the LLM calls a slow function (the caller is muted while it runs), the
 * caller speaks during it; once the result is in, the caller's words are answered: the LLM's
 * next request holds the function's result and the caller's words, and its reply is played.
 */
export async function expectAnsweredAfterFunctionCall<S extends CallSimulator>(
  server: TestServer,
  llm: FakeOpenAIServer,
  provider: SpeechCallProvider<S>,
  fn: GatedFunction,
): Promise<void> {
  const { audioEvent } = provider;
  llm.setHandler((request) => {
    const last = request.messages.at(-1);
    if (!request.messages.some((m) => m.role === 'tool')) return { toolCalls: [{ name: fn.name }] };
    return last?.role === 'tool'
      ? { text: 'Your order ships tomorrow.' }
      : { text: 'Sure, I will leave a message for them too.' };
  });
  try {
    const sim = await provider.dial(server);
    await sim.connect();
    sim.start();
    await sim.withSilence(() => untilQuiet(sim, 0, audioEvent));
    await sim.streamAudio(speech8k('goforward'));
    await sim.withSilence(() => fn.called);
    await sim.streamAudio(speech8k(CLIP)); // muted: the function is still running
    await sim.streamSilence(1200); // the STT's final transcript comes in
    const requestsBefore = llm.requests.length;
    const releasedAt = sim.now();
    fn.finish();
    await sim.withSilence(() =>
      sim.waitFor(
        () => recognised(lastUserText(llm)) >= 0.5 && llm.requests.length > requestsBefore,
        20_000,
        "the LLM request with the caller's words",
      ),
    );
    const askedAt = sim.now();
    await sim.withSilence(() => untilQuiet(sim, askedAt, audioEvent));
    sim.hangUp();
    await sim.closed();

    const request = llm.requests.at(-1)!;
    const toolMessage = request.messages.find((m) => m.role === 'tool');
    expect(String(toolMessage?.content)).toContain('shipped');
    expect(request.messages.at(-1)?.role).toBe('user');
    expect(recognised(lastUserText(llm))).toBeGreaterThanOrEqual(0.5);
    const reply = sim.messages(audioEvent).filter((m) => m.atMs > releasedAt);
    expect(reply.length * provider.chunkMs).toBeGreaterThan(1000);
  } finally {
    llm.setHandler(undefined);
  }
}
