import {
  type Attributes,
  type AttributeValue,
  type Context,
  context,
  type Span,
  type SpanContext,
  type SpanOptions,
  type SpanStatus,
  type TimeInput,
  TraceFlags,
  type Tracer,
  trace,
} from '@opentelemetry/api';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  type Direction,
  type Frame,
  FrameProcessor,
  frame,
  type HandlerResult,
  type LLMChunk,
  LLMContext,
  LLMService,
  PipelineTask,
  STTService,
  TTSService,
} from '../src/index.ts';
import { PARLEY_TRACER_NAME, TracingObserver } from '../src/telemetry/tracing-observer.ts';

// ---- a minimal in-memory tracer, written against the API's interfaces ----

let nextId = 1;
const hex = (n: number, width: number) => n.toString(16).padStart(width, '0');

class MemorySpan implements Span {
  readonly attributes: Record<string, AttributeValue> = {};
  readonly events: Array<{ name: string; attributes: Attributes }> = [];
  status: SpanStatus | undefined;
  ended = false;
  private readonly ctx: SpanContext;

  constructor(
    public name: string,
    readonly parent: SpanContext | undefined,
    attributes: Attributes | undefined,
  ) {
    this.ctx = {
      traceId: parent?.traceId ?? hex(nextId++, 32),
      spanId: hex(nextId++, 16),
      traceFlags: TraceFlags.SAMPLED,
    };
    if (attributes) this.setAttributes(attributes);
  }
  spanContext(): SpanContext {
    return this.ctx;
  }
  setAttribute(key: string, value: AttributeValue): this {
    this.attributes[key] = value;
    return this;
  }
  setAttributes(attributes: Attributes): this {
    for (const [k, v] of Object.entries(attributes)) if (v !== undefined) this.attributes[k] = v;
    return this;
  }
  addEvent(name: string, attributesOrTime?: Attributes | TimeInput): this {
    const attributes =
      attributesOrTime && typeof attributesOrTime === 'object' && !Array.isArray(attributesOrTime)
        ? (attributesOrTime as Attributes)
        : {};
    this.events.push({ name, attributes });
    return this;
  }
  addLink(): this {
    return this;
  }
  addLinks(): this {
    return this;
  }
  setStatus(status: SpanStatus): this {
    this.status = status;
    return this;
  }
  updateName(name: string): this {
    this.name = name;
    return this;
  }
  end(): void {
    this.ended = true;
  }
  isRecording(): boolean {
    return !this.ended;
  }
  recordException(): void {}
}

class MemoryTracer implements Tracer {
  readonly spans: MemorySpan[] = [];
  startSpan(name: string, options: SpanOptions = {}, ctx: Context = context.active()): MemorySpan {
    const span = new MemorySpan(name, trace.getSpan(ctx)?.spanContext(), options.attributes);
    this.spans.push(span);
    return span;
  }
  startActiveSpan<F extends (span: Span) => unknown>(name: string, ...rest: unknown[]): ReturnType<F> {
    const fn = rest[rest.length - 1] as F;
    const options = (rest.length > 1 ? rest[0] : {}) as SpanOptions;
    const span = this.startSpan(name, options);
    return context.with(trace.setSpan(context.active(), span), () => fn(span)) as ReturnType<F>;
  }
  named(name: string): MemorySpan[] {
    return this.spans.filter((s) => s.name === name);
  }
  one(name: string): MemorySpan {
    const found = this.named(name);
    expect(found).toHaveLength(1);
    return found[0]!;
  }
}

const parentOf = (span: MemorySpan) => span.parent?.spanId;
const idOf = (span: MemorySpan) => span.spanContext().spanId;

// ---- fake services on the real base classes ----

class FakeSTT extends STTService {
  protected connect(): void {}
  protected sendAudio(): void {}
  protected disconnect(): void {}
  say(text: string): void {
    this.emitTranscript(text, true);
  }
}

/** Asks the LLM on each final transcript (a stand-in for the user context aggregator). */
class AskLLM extends FrameProcessor {
  private readonly context = new LLMContext([{ role: 'system', content: 'be brief' }]);
  protected override processFrame(f: Frame, d: Direction): HandlerResult {
    this.push(f, d);
    if (f.type === 'transcription') {
      this.context.add({ role: 'user', content: f.text });
      this.push(frame('llm_context', { context: this.context }));
    }
  }
}

class FakeLLM extends LLMService {
  gate: Promise<void> = Promise.resolve();
  protected async *streamCompletion(): AsyncIterable<LLMChunk> {
    yield { type: 'text', text: 'Hello there.' };
    await this.gate;
    yield { type: 'text', text: 'How can I help?' };
    yield { type: 'usage', promptTokens: 12, completionTokens: 7 };
  }
}

/** Each `llm_text` is a sentence. */
class Sentences extends FrameProcessor {
  protected override processFrame(f: Frame, d: Direction): HandlerResult {
    this.push(f.type === 'llm_text' ? frame('tts_speak', { text: f.text }) : f, d);
  }
}

class FakeTTS extends TTSService {
  readonly sampleRateHz = 8000;
  protected async *synthesize(): AsyncIterable<Int16Array> {
    yield new Int16Array(160);
  }
}

/** Sends TTS audio at once and reports each sentence spoken when its utterance stops. */
class FakeOutput extends FrameProcessor {
  private readonly texts = new Map<string, string>();
  protected override processFrame(f: Frame, d: Direction): HandlerResult {
    if (f.type === 'tts_started') this.texts.set(f.contextId, f.text);
    else if (f.type === 'output_audio' && f.contextId)
      this.push(frame('output_audio', { audio: f.audio, sampleRateHz: f.sampleRateHz, channels: 1 }));
    else if (f.type === 'tts_stopped')
      this.push(frame('spoken_text', { text: this.texts.get(f.contextId) ?? '', partial: false }));
    else this.push(f, d);
  }
}

function callPipeline(tracer?: Tracer) {
  const stt = new FakeSTT('stt');
  const llm = new FakeLLM('llm');
  const task = new PipelineTask(
    [stt, new AskLLM(), llm, new Sentences(), new FakeTTS('tts'), new FakeOutput()],
    {
      metadata: { callId: 'call-42', agentId: 'agent-7' },
      observers: [new TracingObserver(tracer ? { tracer } : {})],
    },
  );
  return { task, stt, llm };
}

afterEach(() => {
  trace.disable();
});

describe('TracingObserver', () => {
  it('traces a call: a turn with its STT, LLM and TTS spans, attributes from the frames and metrics', async () => {
    const tracer = new MemoryTracer();
    const { task, stt } = callPipeline(tracer);
    const done = task.run();
    task.queueFrame(frame('user_started_speaking'));
    task.queueFrame(frame('user_stopped_speaking'));
    stt.say('hello');
    await vi.waitFor(() => expect(tracer.named('parley.tts').filter((s) => s.ended)).toHaveLength(2));
    task.end('caller_hung_up');
    await done;

    const call = tracer.one('parley.call');
    expect(call.parent).toBeUndefined();
    expect(call.attributes).toMatchObject({
      'parley.call.id': 'call-42',
      'parley.agent.id': 'agent-7',
      'parley.call.end_how': 'end',
      'parley.call.end_reason': 'caller_hung_up',
    });
    expect(call.status).toBeUndefined();

    const turn = tracer.one('parley.turn');
    expect(parentOf(turn)).toBe(idOf(call));
    expect(turn.attributes).toMatchObject({ 'parley.turn.index': 1, 'parley.turn.outcome': 'played' });
    for (const step of [
      'stt_final_ms',
      'llm_first_token_ms',
      'first_sentence_ms',
      'first_sentence_played_ms',
    ])
      expect(typeof turn.attributes[`parley.turn.${step}`]).toBe('number');

    const sttSpan = tracer.one('parley.stt');
    expect(parentOf(sttSpan)).toBe(idOf(turn));
    expect(sttSpan.attributes['parley.stt.transcribed']).toBe(true);
    expect(typeof sttSpan.attributes['parley.stt.ttfb_ms']).toBe('number');

    const llmSpan = tracer.one('parley.llm');
    expect(parentOf(llmSpan)).toBe(idOf(turn));
    expect(llmSpan.attributes).toMatchObject({
      'parley.llm.service': 'llm',
      'gen_ai.usage.input_tokens': 12,
      'gen_ai.usage.output_tokens': 7,
    });
    expect(typeof llmSpan.attributes['parley.llm.ttfb_ms']).toBe('number');

    const tts = tracer.named('parley.tts');
    expect(tts.map((s) => s.attributes['parley.tts.characters'])).toEqual([12, 15]);
    expect(tts.every((s) => s.attributes['parley.tts.service'] === 'tts')).toBe(true);
    expect(tts.every((s) => typeof s.attributes['parley.tts.ttfb_ms'] === 'number')).toBe(true);
    expect(tracer.spans.every((s) => s.ended)).toBe(true);
  });

  it('ends the reply spans as interrupted when the caller barges in', async () => {
    const tracer = new MemoryTracer();
    const { task, stt, llm } = callPipeline(tracer);
    let release!: () => void;
    llm.gate = new Promise((r) => {
      release = r;
    });
    const done = task.run();
    task.queueFrame(frame('user_started_speaking'));
    task.queueFrame(frame('user_stopped_speaking'));
    stt.say('hello');
    await vi.waitFor(() => expect(tracer.named('parley.tts')).toHaveLength(1));
    task.queueFrame(frame('user_started_speaking'));
    task.queueFrame(frame('interruption'));
    release();
    task.cancel('caller_hung_up');
    await done;
    expect(tracer.one('parley.llm').attributes['parley.interrupted']).toBe(true);
    // The first sentence had been played: the turn's latency window was complete.
    expect(tracer.one('parley.turn').attributes['parley.turn.outcome']).toBe('played');
    expect(tracer.spans.every((s) => s.ended)).toBe(true);
  });

  it('records error frames as events and marks the call span when an error ended it', async () => {
    class Fatal extends FrameProcessor {
      protected override processFrame(f: Frame, d: Direction): HandlerResult {
        if (f.type === 'dtmf_input') this.pushError(new Error('tts socket closed'), true);
        else this.push(f, d);
      }
    }
    const tracer = new MemoryTracer();
    const task = new PipelineTask([new Fatal('tts')], { observers: [new TracingObserver({ tracer })] });
    const done = task.run();
    task.queueFrame(frame('dtmf_input', { digit: '1' }));
    await done;
    const call = tracer.one('parley.call');
    expect(call.events).toEqual([
      {
        name: 'parley.error',
        attributes: {
          'parley.error.message': 'tts socket closed',
          'parley.error.fatal': true,
          'parley.error.source': 'tts',
        },
      },
    ]);
    expect(call.status).toMatchObject({ code: 2, message: 'error: tts socket closed' });
  });

  it("uses the global tracer provider's tracer when the application registered one", async () => {
    const tracer = new MemoryTracer();
    const asked: string[] = [];
    trace.setGlobalTracerProvider({
      getTracer: (name: string) => {
        asked.push(name);
        return tracer;
      },
    });
    const { task } = callPipeline();
    const done = task.run();
    task.end('done');
    await done;
    expect(asked).toContain(PARLEY_TRACER_NAME);
    expect(tracer.one('parley.call').ended).toBe(true);
  });

  it('is a no-op without a tracer provider', async () => {
    const { task, stt } = callPipeline();
    const done = task.run();
    task.queueFrame(frame('user_started_speaking'));
    task.queueFrame(frame('user_stopped_speaking'));
    stt.say('hello');
    task.end('done');
    expect(await done).toEqual({ how: 'end', reason: 'done' });
  });
});
