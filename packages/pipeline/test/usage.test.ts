import { describe, expect, it } from 'vitest';
import { type Frame, frame } from '../src/frames/frames.ts';
import { UsageCollector } from '../src/observers/usage.ts';
import { estimateCost, type PriceTable } from '../src/observers/usage-cost.ts';
import type { FrameProcessor } from '../src/processors/frame-processor.ts';
import { metric } from '../src/services/metrics.ts';
import { ProcessorHarness } from '../src/testing/harness.ts';
import { CountingSTT } from './failover-fakes.ts';

const source = {} as FrameProcessor;
/** Delivers `f` to `usage` as if `times` processors had pushed it on. */
function see(usage: UsageCollector, f: Frame, times = 1): void {
  for (let i = 0; i < times; i++) usage.onFrame({ frame: f, direction: 'downstream', source });
}

function callUsage(): UsageCollector {
  const usage = new UsageCollector();
  const deepgram = { service: 'stt', provider: 'deepgram', model: 'nova-3' } as const;
  const openai = { service: 'llm', provider: 'openai', model: 'gpt-4.1-mini' } as const;
  const cartesia = { service: 'tts', provider: 'cartesia', model: 'sonic-2' } as const;
  see(usage, metric('DeepgramSTT', 'audio_seconds', 30, 's', deepgram), 4);
  see(usage, metric('DeepgramSTT', 'ttfb', 200, 'ms', deepgram));
  see(usage, metric('DeepgramSTT', 'audio_seconds', 60, 's', deepgram));
  see(usage, metric('DeepgramSTT', 'ttfb', 300, 'ms', deepgram));
  see(usage, metric('DeepgramSTT', 'ttfb', 700, 'ms', deepgram));
  for (const ttfb of [400, 600]) {
    see(usage, metric('LLM', 'ttfb', ttfb, 'ms', openai), 3);
    see(usage, metric('LLM', 'prompt_tokens', 1000, 'tokens', openai), 3);
    see(usage, metric('LLM', 'completion_tokens', 50, 'tokens', openai), 3);
  }
  see(usage, metric('TTS', 'characters', 120, 'chars', cartesia));
  see(usage, metric('TTS', 'ttfb', 150.4, 'ms', cartesia));
  see(usage, metric('LocalTTS', 'characters', 40, 'chars', { service: 'tts' }));
  see(usage, metric('VAD', 'vad_dropped_samples', 3, 'count')); // not a service's usage
  return usage;
}

describe('UsageCollector', () => {
  it('sums each provider’s usage over a call, once per metric, with TTFB median and max', () => {
    expect(callUsage().summary()).toEqual({
      stt: [
        {
          provider: 'deepgram',
          model: 'nova-3',
          requests: 3,
          audioSeconds: 90,
          ttfbMs: { p50: 300, max: 700 },
        },
      ],
      llm: [
        {
          provider: 'openai',
          model: 'gpt-4.1-mini',
          requests: 2,
          promptTokens: 2000,
          completionTokens: 100,
          ttfbMs: { p50: 500, max: 600 },
        },
      ],
      tts: [
        {
          provider: 'cartesia',
          model: 'sonic-2',
          requests: 1,
          characters: 120,
          ttfbMs: { p50: 150, max: 150 },
        },
        // No labels: counted under the processor's name.
        { provider: 'LocalTTS', requests: 0, characters: 40, ttfbMs: null },
      ],
    });
  });
});

describe('service usage metrics', () => {
  it('label an STT’s audio with its kind and provider, including the audio after its last transcript', async () => {
    const h = new ProcessorHarness(new CountingSTT('Counting'));
    await h.start();
    const audio = () => frame('input_audio', { audio: new Int16Array(160), sampleRateHz: 8000, channels: 1 });
    for (let i = 0; i < 5; i++) h.send(audio());
    h.send(frame('vad_user_stopped_speaking'));
    await h.waitFor('transcription');
    for (let i = 0; i < 3; i++) h.send(audio());
    h.send(frame('end', { reason: 'hang-up' }));
    await h.waitFor('end');
    const seconds = h.ofType('metrics').filter((m) => m.name === 'audio_seconds');
    expect(seconds.map((m) => [m.value, m.service, m.provider])).toEqual([
      [0.1, 'stt', 'counting'],
      [0.06, 'stt', 'counting'],
    ]);
  });
});

describe('estimateCost', () => {
  // Illustrative prices only.
  const prices: PriceTable = {
    currency: 'USD',
    stt: { deepgram: { 'nova-3': { perMinute: 0.01 } } },
    llm: { openai: { '*': { perMillionInputTokens: 1, perMillionOutputTokens: 4 } } },
    tts: { cartesia: { 'sonic-2': { perMillionCharacters: 50 } } },
  };

  it('prices each line by its model, or its provider’s "*" price, and lists what has none', () => {
    const cost = estimateCost(callUsage().summary(), prices);
    expect(cost.currency).toBe('USD');
    expect(cost.lines.map((l) => [l.service, l.provider, l.cost])).toEqual([
      ['stt', 'deepgram', expect.closeTo(0.015, 10)], // 1.5 min
      ['llm', 'openai', expect.closeTo(0.0024, 10)], // 2000 in, 100 out
      ['tts', 'cartesia', expect.closeTo(0.006, 10)], // 120 chars
    ]);
    expect(cost.total).toBeCloseTo(0.0234, 10);
    expect(cost.unpriced).toEqual([{ service: 'tts', provider: 'LocalTTS' }]);
  });

  it('prices nothing without a table entry', () => {
    const cost = estimateCost(callUsage().summary(), { currency: 'EUR' });
    expect(cost.total).toBe(0);
    expect(cost.unpriced).toHaveLength(4);
  });
});
