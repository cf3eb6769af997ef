import { afterEach, describe, expect, it } from 'vitest';
import { LLMContext } from '../src/context/llm-context.ts';
import { frame } from '../src/frames/frames.ts';
import type { FrameProcessor } from '../src/processors/frame-processor.ts';
import {
  backoffDelayMs,
  isConfigurationError,
  isRetryableError,
  isTransientError,
} from '../src/services/retry.ts';
import { ServiceTimeoutError } from '../src/services/service-errors.ts';
import type { ProcessorHarness } from '../src/testing/harness.ts';
import { FakeConfigurationError, FakeRequestError, ScriptLLM, ScriptTTS } from './failover-fakes.ts';
import { onVirtualClock } from './turn-harness.ts';

const harnesses: ProcessorHarness[] = [];
afterEach(() => {
  for (const h of harnesses.splice(0)) {
    h.send(frame('cancel', { reason: 'test over' }));
    h.dispose();
  }
});
async function started<P extends FrameProcessor>(p: P) {
  const run = await onVirtualClock(p);
  harnesses.push(run.h as ProcessorHarness);
  return run;
}

const ask = () => frame('llm_context', { context: new LLMContext([{ role: 'user', content: 'hi' }]) });
const backoff = { baseDelayMs: 200, maxDelayMs: 2000, jitter: 0 };

describe('retries before the first output', () => {
  it('retries a transient LLM failure with exponential backoff on the pipeline clock', async () => {
    const llm = new ScriptLLM(
      'LLM',
      [{ fail: new FakeRequestError(503) }, { fail: new FakeRequestError(502) }, { reply: 'Finally.' }],
      { retry: { retries: 2, ...backoff } },
    );
    const { h, clock } = await started(llm);
    h.send(ask());
    await clock.advance(199);
    expect(llm.requests).toBe(1);
    await clock.advance(1);
    expect(llm.requests).toBe(2);
    await clock.advance(399); // the second delay is 400 ms
    expect(llm.requests).toBe(2);
    await clock.advance(1);
    await h.waitFor('llm_response_end');
    expect(llm.requests).toBe(3);
    expect(h.ofType('llm_text').map((t) => t.text)).toEqual(['Finally.']);
    expect(h.ofType('error', 'upstream')).toEqual([]);
  });

  it('waits as long as the provider’s Retry-After asks', async () => {
    const llm = new ScriptLLM('LLM', [{ fail: new FakeRequestError(429, 1500) }], {
      retry: { retries: 1, ...backoff },
    });
    const { h, clock } = await started(llm);
    h.send(ask());
    await clock.advance(1499);
    expect(llm.requests).toBe(1);
    await clock.advance(1);
    await h.waitFor('llm_response_end');
    expect(llm.requests).toBe(2);
  });

  it('does not wait for a Retry-After longer than maxDelayMs: the request fails at once', async () => {
    const llm = new ScriptLLM('LLM', [{ fail: new FakeRequestError(429, 30_000) }], {
      retry: { retries: 3, ...backoff },
    });
    const { h } = await started(llm);
    h.send(ask());
    await h.waitFor('error', { side: 'upstream' });
    expect(llm.requests).toBe(1);
  });

  it('stops retrying when the caller interrupts during the backoff', async () => {
    const llm = new ScriptLLM('LLM', [{ fail: new FakeRequestError(503) }], {
      retry: { retries: 3, ...backoff },
    });
    const { h, clock } = await started(llm);
    h.send(ask());
    await clock.advance(100);
    h.send(frame('interruption'));
    await clock.advance(5000);
    expect(llm.requests).toBe(1);
    expect(h.ofType('error', 'upstream')).toEqual([]);
    expect(clock.pending).toBe(0); // the backoff timer is gone
  });

  it('never retries a configuration error or a client error', async () => {
    const llm = new ScriptLLM(
      'LLM',
      [{ fail: new FakeConfigurationError() }, { fail: new FakeRequestError(400) }],
      {
        retry: { retries: 3, ...backoff },
      },
    );
    const { h } = await started(llm);
    h.send(ask());
    await h.waitFor('error', { side: 'upstream' });
    h.send(ask());
    await h.waitFor('error', { side: 'upstream', count: 2 });
    expect(llm.requests).toBe(2);
  });

  it('does not retry a response timeout unless retryTimeouts', async () => {
    const once = new ScriptLLM('LLM', [{ hang: true }], {
      responseTimeoutMs: 1000,
      retry: { retries: 1, ...backoff },
    });
    const a = await started(once);
    a.h.send(ask());
    await a.clock.advance(1000);
    await a.h.waitFor('error', { side: 'upstream' });
    expect(once.requests).toBe(1);

    const again = new ScriptLLM('LLM', [{ hang: true }], {
      responseTimeoutMs: 1000,
      retry: { retries: 1, retryTimeouts: true, ...backoff },
    });
    const b = await started(again);
    b.h.send(ask());
    await b.clock.advance(1200);
    await b.h.waitFor('llm_response_end');
    expect(again.requests).toBe(2);
    expect(b.h.ofType('error', 'upstream')).toEqual([]);
  });

  it('retries a TTS synthesis that failed before its first audio, without repeating word timings', async () => {
    const tts = new ScriptTTS('TTS', 8000, [{ fail: new FakeRequestError(503) }], {
      retry: { retries: 1, ...backoff },
    });
    const { h, clock } = await started(tts);
    h.send(frame('tts_speak', { text: 'Hello.' }));
    await clock.advance(200);
    await h.waitFor('tts_stopped');
    expect(tts.texts).toEqual(['Hello.', 'Hello.']);
    expect(h.ofType('output_audio').flatMap((a) => a.words ?? [])).toHaveLength(1);
    expect(h.ofType('error', 'upstream')).toEqual([]);
  });

  it('keeps today’s behaviour by default: no retry', async () => {
    const llm = new ScriptLLM('LLM', [{ fail: new FakeRequestError(503) }]);
    const { h } = await started(llm);
    h.send(ask());
    await h.waitFor('error', { side: 'upstream' });
    expect(llm.requests).toBe(1);
  });
});

describe('error classification', () => {
  it('tells transient failures from the rest, through the cause chain', () => {
    const reset = Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
    expect(isTransientError(new Error('fetch failed', { cause: reset }))).toBe(true);
    expect(isTransientError(new FakeRequestError(429))).toBe(true);
    expect(isTransientError(new FakeRequestError(500))).toBe(true);
    expect(isTransientError(new FakeRequestError(404))).toBe(false);
    expect(isTransientError(new ServiceTimeoutError('llm', 'x', 1000))).toBe(true);
    expect(isTransientError(new Error('malformed stream'))).toBe(false);
    expect(isTransientError(new DOMException('aborted', 'AbortError'))).toBe(false);
    const wrapped = new Error('request failed', { cause: new FakeConfigurationError() });
    expect(isConfigurationError(wrapped)).toBe(true);
    expect(isTransientError(wrapped)).toBe(false);
    expect(isRetryableError(new ServiceTimeoutError('llm', 'x', 1000))).toBe(false);
    expect(isRetryableError(new ServiceTimeoutError('llm', 'x', 1000), { retryTimeouts: true })).toBe(true);
  });

  it('spreads backoff delays by the jitter and caps them', () => {
    const options = { baseMs: 100, maxMs: 1000, jitter: 0.2 };
    expect(backoffDelayMs(0, options, 0)).toBeCloseTo(80);
    expect(backoffDelayMs(0, options, 0.999_999)).toBeCloseTo(120);
    expect(backoffDelayMs(2, options, 0.5)).toBe(400);
    expect(backoffDelayMs(10, options, 0.5)).toBe(1000);
  });
});
