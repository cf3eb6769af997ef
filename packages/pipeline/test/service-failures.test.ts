import { afterEach, describe, expect, it } from 'vitest';
import { VirtualClock } from '../src/clock/virtual-clock.ts';
import { LLMContext } from '../src/context/llm-context.ts';
import { type ErrorFrame, frame, type LLMMessage } from '../src/frames/frames.ts';
import { type TurnTiming, TurnTimingObserver } from '../src/observers/turn-timing.ts';
import type { FrameProcessor } from '../src/processors/frame-processor.ts';
import { PipelineTask } from '../src/processors/task.ts';
import { type LLMChunk, LLMService } from '../src/services/llm-service.ts';
import { DEFAULT_APOLOGIES, ServiceErrorResponder } from '../src/services/service-error-responder.ts';
import { ServiceTimeoutError } from '../src/services/service-errors.ts';
import { STTService } from '../src/services/stt-service.ts';
import { TTSService } from '../src/services/tts-service.ts';
import { ProcessorHarness } from '../src/testing/harness.ts';

/** An LLM whose stream is what `behaviour` makes of it; records each request's signal. */
class ScriptLLM extends LLMService {
  readonly signals: AbortSignal[] = [];
  constructor(
    private readonly behaviour: (signal: AbortSignal) => AsyncIterable<LLMChunk>,
    responseTimeoutMs?: number,
  ) {
    super('ScriptLLM', responseTimeoutMs === undefined ? {} : { responseTimeoutMs });
  }
  protected override streamCompletion(
    _m: LLMMessage[],
    _t: unknown,
    signal: AbortSignal,
  ): AsyncIterable<LLMChunk> {
    this.signals.push(signal);
    return this.behaviour(signal);
  }
}

/** Never settles until `signal` aborts (then rejects like an aborted fetch). */
function untilAborted(signal: AbortSignal): Promise<never> {
  return new Promise((_resolve, reject) =>
    signal.addEventListener('abort', () => reject(new DOMException('aborted', 'AbortError')), { once: true }),
  );
}

async function* hanging(signal: AbortSignal): AsyncGenerator<LLMChunk> {
  yield await untilAborted(signal);
}

async function* stallsAfterFirst(signal: AbortSignal): AsyncGenerator<LLMChunk> {
  yield { type: 'text', text: 'Let me' };
  await untilAborted(signal);
}

async function* refused(): AsyncGenerator<LLMChunk> {
  yield await Promise.reject(new Error('connect ECONNREFUSED 127.0.0.1:1'));
}

class HangingTTS extends TTSService {
  readonly sampleRateHz = 8000;
  readonly signals: AbortSignal[] = [];
  protected override async *synthesize(_text: string, signal: AbortSignal): AsyncIterable<Int16Array> {
    this.signals.push(signal);
    yield await untilAborted(signal);
  }
}

class FailingSTT extends STTService {
  protected override connect(): void {}
  protected override sendAudio(): void {
    this.pushError(new Error('STT socket closed (1011)'));
  }
  protected override disconnect(): void {}
}

const harnesses: ProcessorHarness[] = [];
async function started<P extends FrameProcessor>(p: P, clock = new VirtualClock()) {
  const h = new ProcessorHarness(p);
  harnesses.push(h);
  await h.start({}, {}, clock);
  return { h, clock };
}
afterEach(() => {
  for (const h of harnesses.splice(0)) {
    h.send(frame('cancel', { reason: 'test over' }));
    h.dispose();
  }
});

const ask = () => frame('llm_context', { context: new LLMContext([{ role: 'user', content: 'hi' }]) });

describe('LLM and TTS response timeouts', () => {
  it('aborts an LLM request that sends nothing within responseTimeoutMs and reports it as an llm error', async () => {
    const llm = new ScriptLLM(hanging, 3000);
    const { h, clock } = await started(llm);
    h.send(ask());
    await clock.advance(2900);
    expect(h.ofType('error', 'upstream')).toEqual([]);
    await clock.advance(200);
    await h.waitFor('error', { side: 'upstream' });
    const error = h.ofType('error', 'upstream')[0]!;
    expect(error).toMatchObject({ service: 'llm', fatal: false, source: 'ScriptLLM' });
    expect(error.cause).toBeInstanceOf(ServiceTimeoutError);
    expect(error.message).toContain('3000 ms');
    expect(llm.signals[0]!.aborted).toBe(true);
    // The response is closed, so sentences and context are not left waiting.
    expect(h.types()).toEqual(['start', 'llm_response_start', 'llm_response_end']);
  });

  it('times out a stream that stalls between pieces, after the text it sent', async () => {
    const { h, clock } = await started(new ScriptLLM(stallsAfterFirst, 2000));
    h.send(ask());
    await clock.advance(2100);
    await h.waitFor('error', { side: 'upstream' });
    expect(h.types().filter((t) => t !== 'metrics')).toEqual([
      'start',
      'llm_response_start',
      'llm_text',
      'llm_response_end',
    ]);
  });

  it('reports a refused connection at once as an llm error, and the next request still runs', async () => {
    let calls = 0;
    const llm = new ScriptLLM((signal) => (++calls === 1 ? refused() : stallsAfterFirst(signal)));
    const { h } = await started(llm);
    h.send(ask());
    await h.waitFor('error', { side: 'upstream' });
    expect(h.ofType('error', 'upstream')[0]).toMatchObject({
      service: 'llm',
      message: expect.stringContaining('ECONNREFUSED'),
    });
    h.send(ask());
    await h.waitFor('llm_text');
  });

  it('keeps the default bound at 5 s', async () => {
    const { h, clock } = await started(new ScriptLLM(hanging));
    h.send(ask());
    await clock.advance(4990);
    expect(h.ofType('error', 'upstream')).toEqual([]);
    await clock.advance(20);
    await h.waitFor('error', { side: 'upstream' });
  });

  it('aborts a synthesis that yields no audio in time, ends the sentence and reports a tts error', async () => {
    const tts = new HangingTTS('HangingTTS', { responseTimeoutMs: 1500 });
    const { h, clock } = await started(tts);
    h.send(frame('tts_speak', { text: 'Hello there.' }));
    await clock.advance(1600);
    await h.waitFor('error', { side: 'upstream' });
    expect(h.ofType('error', 'upstream')[0]).toMatchObject({ service: 'tts', source: 'HangingTTS' });
    expect(tts.signals[0]!.aborted).toBe(true);
    expect(h.types().filter((t) => t !== 'metrics')).toEqual(['start', 'tts_started', 'tts_stopped']);
  });

  it('marks an STT service’s own errors as stt errors', async () => {
    const { h } = await started(new FailingSTT());
    h.send(frame('input_audio', { audio: new Int16Array(160), sampleRateHz: 8000, channels: 1 }));
    await h.waitFor('error', { side: 'upstream' });
    expect(h.ofType('error', 'upstream')[0]).toMatchObject({ service: 'stt', fatal: false });
  });

  it('refuses a non-positive timeout', () => {
    expect(() => new ScriptLLM(hanging, 0)).toThrow(RangeError);
    expect(() => new HangingTTS('t', { responseTimeoutMs: -1 })).toThrow(RangeError);
  });
});

const serviceError = (service: ErrorFrame['service'], fatal = false) =>
  frame('error', { message: `${service} failed`, fatal, ...(service ? { service } : {}) });

describe('ServiceErrorResponder', () => {
  it('says a short apology for a failed service request and passes the error on', async () => {
    const { h } = await started(new ServiceErrorResponder());
    const error = serviceError('llm');
    h.send(error, 'upstream');
    expect(h.upstream).toContain(error);
    expect(h.ofType('tts_speak').map((f) => f.text)).toEqual([DEFAULT_APOLOGIES.llm]);
  });

  it('says nothing for fatal errors and for failures that are not a service’s (e.g. a function handler)', async () => {
    const { h } = await started(new ServiceErrorResponder());
    h.send(serviceError('tts', true), 'upstream');
    h.send(serviceError(undefined), 'upstream');
    expect(h.ofType('tts_speak')).toEqual([]);
  });

  it('apologizes once until the bot has spoken, or the quiet time passed', async () => {
    const { h, clock } = await started(
      new ServiceErrorResponder({ quietMs: 5000, apologies: { stt: 'Pardon?' } }),
    );
    h.send(serviceError('stt'), 'upstream');
    h.send(serviceError('tts'), 'upstream'); // e.g. the apology itself failed
    expect(h.ofType('tts_speak').map((f) => f.text)).toEqual(['Pardon?']);
    h.send(frame('bot_stopped_speaking'), 'upstream');
    h.send(serviceError('llm'), 'upstream');
    expect(h.ofType('tts_speak')).toHaveLength(2);
    await clock.advance(4000);
    h.send(serviceError('llm'), 'upstream');
    expect(h.ofType('tts_speak')).toHaveLength(2);
    await clock.advance(1000);
    h.send(serviceError('llm'), 'upstream');
    expect(h.ofType('tts_speak')).toHaveLength(3);
  });
});

describe('TurnTimingObserver with a failing service', () => {
  it('ends the turn as failed with the service and message, and does not count the apology as the reply', async () => {
    const clock = new VirtualClock();
    const timings: TurnTiming[] = [];
    const task = new PipelineTask([new ServiceErrorResponder()], {
      clock,
      observers: [new TurnTimingObserver({ onTurn: (t) => timings.push(t) })],
    });
    const done = task.run();
    await clock.advance(1000);
    task.queueFrames([frame('user_started_speaking'), frame('transcription', { text: 'hi' })]);
    await clock.advance(500);
    task.queueFrames([frame('user_stopped_speaking'), ask()]);
    await clock.advance(2000);
    task.queueFrame(serviceError('llm'));
    await clock.advance(100);
    task.queueFrame(frame('tts_speak', { text: DEFAULT_APOLOGIES.llm }));
    await clock.advance(10);
    expect(timings).toEqual([
      {
        turn: 1,
        atMs: 1500,
        outcome: 'failed',
        error: { service: 'llm', message: 'llm failed' },
        sttFinalMs: -500,
        llmRequestMs: 0,
      },
    ]);
    task.cancel('test');
    await done;
  });
});
