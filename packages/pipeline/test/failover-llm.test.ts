import { afterEach, describe, expect, it } from 'vitest';
import { AssistantContextAggregator } from '../src/aggregators/assistant-context.ts';
import { SentenceAggregator } from '../src/aggregators/sentence-aggregator.ts';
import { UserContextAggregator } from '../src/aggregators/user-context.ts';
import { VirtualClock } from '../src/clock/virtual-clock.ts';
import { LLMContext } from '../src/context/llm-context.ts';
import { type Frame, frame } from '../src/frames/frames.ts';
import { UsageCollector } from '../src/observers/usage.ts';
import { PipelineTask } from '../src/processors/task.ts';
import { FailoverLLMService } from '../src/services/failover/llm-failover.ts';
import { DEFAULT_APOLOGIES, ServiceErrorResponder } from '../src/services/service-error-responder.ts';
import { ServiceTimeoutError } from '../src/services/service-errors.ts';
import type { ProcessorHarness } from '../src/testing/harness.ts';
import { FakeConfigurationError, FakeRequestError, ScriptLLM } from './failover-fakes.ts';
import { onVirtualClock } from './turn-harness.ts';

const harnesses: ProcessorHarness[] = [];
afterEach(() => {
  for (const h of harnesses.splice(0)) {
    h.send(frame('cancel', { reason: 'test over' }));
    h.dispose();
  }
});

async function chain(primary: ScriptLLM, secondary: ScriptLLM, options = {}) {
  const llm = new FailoverLLMService([primary, secondary], {
    cooldownMs: 5000,
    maxCooldownMs: 60_000,
    ...options,
  });
  const run = await onVirtualClock(llm);
  harnesses.push(run.h);
  return { llm, ...run };
}

const ask = () => frame('llm_context', { context: new LLMContext([{ role: 'user', content: 'hi' }]) });
const said = (frames: readonly Frame[]) =>
  frames
    .filter((f) => f.type === 'llm_text')
    .map((f) => f.text)
    .join('');

describe('FailoverLLMService', () => {
  it('answers from the next service when the first fails before its first token, and says so', async () => {
    const primary = new ScriptLLM('Primary', [{ fail: new FakeRequestError(503) }]);
    const secondary = new ScriptLLM('Secondary', [{ reply: 'Hello from the backup.' }]);
    const { h } = await chain(primary, secondary);
    h.send(ask());
    await h.waitFor('llm_response_end');

    expect(said(h.downstream)).toBe('Hello from the backup.');
    expect(h.ofType('error', 'upstream')).toEqual([]); // no apology: the turn is not lost
    const switched = { service: 'llm', from: 'Primary', to: 'Secondary', reason: 'failure' };
    expect(h.ofType('service_switched')).toEqual([expect.objectContaining(switched)]);
    expect(h.ofType('service_switched', 'upstream')).toEqual([expect.objectContaining(switched)]);
    expect(h.ofType('service_switched')[0]!.error).toContain('HTTP 503');
    expect(h.types().filter((t) => t !== 'metrics')).toEqual([
      'start',
      'llm_response_start',
      'service_switched',
      ...Array(4).fill('llm_text'),
      'llm_response_end',
    ]);
    // Usage is the serving service's.
    const ttfb = h.ofType('metrics').find((m) => m.name === 'ttfb');
    expect(ttfb).toMatchObject({ service: 'llm', provider: 'secondary', model: 'secondary-1' });
  });

  it('moves a request that times out before its first token to the next service', async () => {
    const primary = new ScriptLLM('Primary', [{ hang: true }], { responseTimeoutMs: 1500 });
    const secondary = new ScriptLLM('Secondary', [{ reply: 'Still here.' }]);
    const { h, clock } = await chain(primary, secondary);
    h.send(ask());
    await clock.advance(1400);
    expect(h.ofType('llm_text')).toEqual([]);
    await clock.advance(100);
    await h.waitFor('llm_response_end');
    expect(said(h.downstream)).toBe('Still here.');
    expect(h.ofType('error', 'upstream')).toEqual([]);
    expect(h.ofType('service_switched')[0]!.error).toContain('1500 ms');
  });

  it('ends a reply that fails midway as a single service would, and gives the next turn to the next service', async () => {
    const primary = new ScriptLLM('Primary', [{ partial: 'Let me ', fail: new FakeRequestError(500) }]);
    const secondary = new ScriptLLM('Secondary', [{ reply: 'Sure.' }]);
    const { h } = await chain(primary, secondary);
    h.send(ask());
    await h.waitFor('llm_response_end');
    expect(said(h.downstream)).toBe('Let me ');
    expect(h.ofType('error', 'upstream')).toEqual([
      expect.objectContaining({ service: 'llm', fatal: false, source: 'FailoverLLMService' }),
    ]);
    expect(h.ofType('service_switched')).toEqual([]);

    h.send(ask());
    await h.waitFor('llm_response_end', { count: 2 });
    expect(said(h.downstream.slice(h.downstream.indexOf(h.ofType('llm_response_end')[0]!)))).toBe('Sure.');
    expect(primary.requests).toBe(1);
    expect(h.ofType('service_switched')).toEqual([
      expect.objectContaining({ from: 'Primary', to: 'Secondary', reason: 'failure' }),
    ]);
  });

  it('goes back to a failed service after its cool-down, which doubles when it fails again', async () => {
    const primary = new ScriptLLM('Primary', [
      { fail: new FakeRequestError(503) },
      { fail: new FakeRequestError(503) },
      { reply: 'Primary again.' },
    ]);
    const secondary = new ScriptLLM('Secondary');
    const { h, clock } = await chain(primary, secondary);
    const turn = async (atMs: number, n: number) => {
      await clock.advance(atMs - clock.now());
      h.send(ask());
      await h.waitFor('llm_response_end', { count: n });
    };
    await turn(0, 1); // primary fails → secondary
    await turn(4000, 2); // cooling down: straight to the secondary
    expect([primary.requests, secondary.requests]).toEqual([1, 2]);
    await turn(5000, 3); // cool-down over: primary tried, fails again → secondary
    expect([primary.requests, secondary.requests]).toEqual([2, 3]);
    await turn(14_000, 4); // second cool-down is 10 s (until 15 000)
    expect([primary.requests, secondary.requests]).toEqual([2, 4]);
    await turn(15_000, 5);
    expect([primary.requests, secondary.requests]).toEqual([3, 4]);
    expect(said(h.downstream).endsWith('Primary again.')).toBe(true);
    expect(h.ofType('service_switched').map((f) => `${f.from}→${f.to} ${f.reason}`)).toEqual([
      'Primary→Secondary failure',
      'Secondary→Primary recovered',
      'Primary→Secondary failure',
      'Secondary→Primary recovered',
    ]);
    expect(h.ofType('error', 'upstream')).toEqual([]);
  });

  it('does not move a configuration error on: it is reported as with a single service', async () => {
    const primary = new ScriptLLM('Primary', [{ fail: new FakeConfigurationError() }]);
    const secondary = new ScriptLLM('Secondary');
    const { h } = await chain(primary, secondary);
    h.send(ask());
    await h.waitFor('error', { side: 'upstream' });
    expect(h.ofType('error', 'upstream')[0]!.cause).toBeInstanceOf(FakeConfigurationError);
    expect(secondary.requests).toBe(0);
    expect(h.ofType('service_switched')).toEqual([]);
  });

  it('fails the turn only when every service failed, with the last error', async () => {
    const primary = new ScriptLLM('Primary', [{ fail: new FakeRequestError(503) }]);
    const secondary = new ScriptLLM('Secondary', [{ hang: true }], { responseTimeoutMs: 1000 });
    const { h, clock } = await chain(primary, secondary);
    h.send(ask());
    await clock.advance(1000);
    await h.waitFor('error', { side: 'upstream' });
    expect(h.ofType('error', 'upstream')[0]!.cause).toBeInstanceOf(ServiceTimeoutError);
    expect(h.types().at(-1)).toBe('llm_response_end');
  });

  it('keeps a call going mid-call: the caller hears the answer, not an apology, and usage names who served', async () => {
    const clock = new VirtualClock();
    const context = new LLMContext([{ role: 'system', content: 'Be brief.' }]);
    const primary = new ScriptLLM('Primary', [
      { reply: 'First answer.' },
      { fail: new FakeRequestError(429) },
    ]);
    const secondary = new ScriptLLM('Secondary', [{ reply: 'Second answer.' }]);
    const usage = new UsageCollector();
    const seen: Frame[] = [];
    const task = new PipelineTask(
      [
        new ServiceErrorResponder(),
        new UserContextAggregator(context),
        new FailoverLLMService([primary, secondary]),
        new SentenceAggregator(),
        new AssistantContextAggregator(context),
      ],
      { clock, observers: [usage, { onFrame: (e) => seen.push(e.frame) }] },
    );
    const done = task.run();
    await clock.advance(10);
    for (const text of ['What time is it?', 'And the date?']) {
      task.queueFrame(frame('transcription', { text }));
      await clock.advance(100);
    }
    const spoken = seen.filter((f) => f.type === 'tts_speak').map((f) => f.text);
    expect([...new Set(spoken)]).toEqual(['First answer.', 'Second answer.']);
    expect(spoken).not.toContain(DEFAULT_APOLOGIES.llm);
    expect(seen.some((f) => f.type === 'service_switched' && f.to === 'Secondary')).toBe(true);
    expect(usage.summary().llm).toEqual([
      expect.objectContaining({ provider: 'primary', model: 'primary-1', requests: 1, completionTokens: 2 }),
      expect.objectContaining({
        provider: 'secondary',
        model: 'secondary-1',
        requests: 1,
        completionTokens: 2,
      }),
    ]);
    task.cancel('test over');
    await done;
  });
});
