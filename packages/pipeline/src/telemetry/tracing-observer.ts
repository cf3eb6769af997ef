import { context, type Span, SpanStatusCode, type Tracer, trace } from '@opentelemetry/api';
import type { FrameType, MetricsFrame } from '../frames/frames.ts';
import { type TurnTiming, TurnTimingObserver } from '../observers/turn-timing.ts';
import type { FrameProcessor } from '../processors/frame-processor.ts';
import type { FrameEvent, TaskObserver, TaskResult } from '../processors/task.ts';
import { LLMService } from '../services/llm-service.ts';
import { STTService } from '../services/stt-service.ts';
import { TTSService } from '../services/tts-service.ts';

/** Name of the tracer {@link TracingObserver} asks the global tracer provider for. */
export const PARLEY_TRACER_NAME = '@parley/pipeline';

/** Options of {@link TracingObserver}. */
export interface TracingObserverOptions {
  /** The tracer; default: the global provider's tracer named {@link PARLEY_TRACER_NAME}. */
  readonly tracer?: Tracer;
}

/**
 * Traces a call with OpenTelemetry (`@opentelemetry/api` only: without a tracer provider
 * registered by the application, every span is a no-op and the observer stops looking at
 * frames after the start). Spans, with their attributes:
 *
 * - `parley.call`, the task run (root): `parley.call.id`, `parley.agent.id` (from the start
 *   frame's metadata `callId`, `agentId`), `parley.call.end_how`, `parley.call.end_reason`;
 *   error frames become `parley.error` events; status ERROR when an error ended the call.
 * - `parley.turn`, a user turn, from `user_stopped_speaking` until its first sentence was
 *   played (or the caller interrupted, or the call ended): `parley.turn.index`,
 *   `parley.turn.outcome` and each {@link TurnTiming} step as `parley.turn.<step>` (ms).
 * - `parley.stt`, child of the turn, from `user_stopped_speaking` to the next final
 *   `transcription` (`parley.stt.transcribed` false when none came before the LLM was asked,
 *   the caller spoke again or the call ended): `parley.stt.ttfb_ms`, `parley.stt.audio_seconds`.
 * - `parley.llm`, one completion, from `llm_context` to `llm_response_end` (or an
 *   interruption: `parley.interrupted`): `parley.llm.service`, `parley.llm.ttfb_ms`,
 *   `gen_ai.usage.input_tokens`, `gen_ai.usage.output_tokens` (summed over tool rounds).
 * - `parley.tts`, one sentence, from `tts_started` to `tts_stopped` (or an interruption):
 *   `parley.tts.service`, `parley.tts.context_id`, `parley.tts.characters`, `parley.tts.ttfb_ms`.
 *
 * Service spans are children of the open turn's span, or of the call's (e.g. a greeting).
 * Metrics count where the service that measured them (an `STTService`, `LLMService` or
 * `TTSService`) pushes them.
 *
 * @example
 * new PipelineTask(processors, { observers: [new TracingObserver()] });
 */
export class TracingObserver implements TaskObserver {
  private readonly tracer: Tracer;
  private readonly turns: TurnTimingObserver;
  private call: Span | undefined;
  private recording = false;
  private turn: Span | undefined;
  private stt: Span | undefined;
  private llm: Span | undefined;
  private llmTokens = { input: 0, output: 0 };
  private llmTtfbSeen = false;
  private readonly tts = new Map<string, Span>();
  /** The TTS span that the next TTS metrics belong to (the last one started). */
  private ttsCurrent: Span | undefined;
  private lastLlmRequestId = 0;
  private lastLlmEndId = 0;
  private lastTtsStartedId = 0;
  private lastTranscriptionId = 0;
  private lastInterruptionId = 0;
  private lastUserStartId = 0;
  private lastErrorId = 0;

  /** The frames {@link onFrame} reads: its own and those of its turn timing. */
  readonly frameTypes: readonly FrameType[] = [
    ...new Set<FrameType>([
      ...TurnTimingObserver.FRAME_TYPES,
      'metrics',
      'llm_response_start',
      'llm_response_end',
      'tts_stopped',
    ]),
  ];

  /** @param options See {@link TracingObserverOptions}. */
  constructor(options: TracingObserverOptions = {}) {
    this.tracer = options.tracer ?? trace.getTracer(PARLEY_TRACER_NAME);
    this.turns = new TurnTimingObserver({
      onTurnStart: (index) => this.onTurnStart(index),
      onTurn: (timing) => this.onTurn(timing),
    });
  }

  onFrame(event: FrameEvent): void {
    const f = event.frame;
    if (!this.recording) {
      if (f.type === 'start' && !this.call) this.startCall(f.metadata);
      if (!this.recording) return;
    }
    this.turns.onFrame(event);
    switch (f.type) {
      case 'metrics':
        // Only where the service that measured it pushes it, not where later processors pass it on.
        if (f.processor === event.source.name) this.onMetric(f, event.source);
        return;
      case 'transcription':
        if (f.id > this.lastTranscriptionId) {
          this.lastTranscriptionId = f.id;
          this.endStt(true);
        }
        return;
      case 'llm_context':
        if (f.id > this.lastLlmRequestId) {
          this.lastLlmRequestId = f.id;
          this.endStt(false);
          this.startLlm();
        }
        return;
      case 'llm_response_start':
        if (this.llm && event.source instanceof LLMService)
          this.llm.setAttribute('parley.llm.service', event.source.name);
        return;
      case 'llm_response_end':
        if (f.id > this.lastLlmEndId) {
          this.lastLlmEndId = f.id;
          this.endLlm(false);
        }
        return;
      case 'tts_started':
        if (f.id > this.lastTtsStartedId) {
          this.lastTtsStartedId = f.id;
          this.startTts(f.contextId, f.text, event.source);
        }
        return;
      case 'tts_stopped':
        this.endTts(f.contextId, false);
        return;
      case 'user_started_speaking':
        if (f.id > this.lastUserStartId) {
          this.lastUserStartId = f.id;
          this.endStt(false);
        }
        return;
      case 'interruption':
        if (f.id > this.lastInterruptionId) {
          this.lastInterruptionId = f.id;
          this.endLlm(true);
          for (const id of [...this.tts.keys()]) this.endTts(id, true);
        }
        return;
      case 'error':
        if (f.id > this.lastErrorId) {
          this.lastErrorId = f.id;
          this.call?.addEvent('parley.error', {
            'parley.error.message': f.message,
            'parley.error.fatal': f.fatal,
            ...(f.source ? { 'parley.error.source': f.source } : {}),
          });
        }
        return;
    }
  }

  onEnd(result: TaskResult): void {
    const call = this.call;
    if (!call) return;
    if (this.recording) {
      this.turns.onEnd();
      this.endStt(false);
      this.endLlm(false);
      for (const id of [...this.tts.keys()]) this.endTts(id, false);
    }
    call.setAttributes({ 'parley.call.end_how': result.how, 'parley.call.end_reason': result.reason });
    if (result.reason.startsWith('error'))
      call.setStatus({ code: SpanStatusCode.ERROR, message: result.reason });
    call.end();
    this.call = undefined;
    this.recording = false;
  }

  private startCall(metadata: Readonly<Record<string, unknown>>): void {
    const attributes: Record<string, string> = {};
    if (typeof metadata.callId === 'string') attributes['parley.call.id'] = metadata.callId;
    if (typeof metadata.agentId === 'string') attributes['parley.agent.id'] = metadata.agentId;
    this.call = this.tracer.startSpan('parley.call', { attributes });
    this.recording = this.call.isRecording();
  }

  private child(name: string, attributes: Record<string, string | number> = {}): Span {
    const parent = this.turn ?? this.call;
    const ctx = parent ? trace.setSpan(context.active(), parent) : context.active();
    return this.tracer.startSpan(name, { attributes }, ctx);
  }

  private onTurnStart(index: number): void {
    this.turn = this.child('parley.turn', { 'parley.turn.index': index });
    this.endStt(false);
    this.stt = this.child('parley.stt');
  }

  private onTurn(timing: TurnTiming): void {
    const span = this.turn;
    if (!span) return;
    this.turn = undefined;
    for (const [key, value] of Object.entries(timing)) {
      if (key === 'turn') continue;
      span.setAttribute(`parley.turn.${snake(key)}`, value as string | number);
    }
    span.end();
  }

  private endStt(transcribed: boolean): void {
    const span = this.stt;
    if (!span) return;
    this.stt = undefined;
    span.setAttribute('parley.stt.transcribed', transcribed);
    span.end();
  }

  private startLlm(): void {
    this.endLlm(true);
    this.llm = this.child('parley.llm');
    this.llmTokens = { input: 0, output: 0 };
    this.llmTtfbSeen = false;
  }

  private endLlm(interrupted: boolean): void {
    const span = this.llm;
    if (!span) return;
    this.llm = undefined;
    if (interrupted) span.setAttribute('parley.interrupted', true);
    span.end();
  }

  private startTts(contextId: string, text: string, source: FrameProcessor): void {
    this.endTts(contextId, false);
    const span = this.child('parley.tts', {
      'parley.tts.service': source.name,
      'parley.tts.context_id': contextId,
      'parley.tts.characters': text.length,
    });
    this.tts.set(contextId, span);
    this.ttsCurrent = span;
  }

  private endTts(contextId: string, interrupted: boolean): void {
    const span = this.tts.get(contextId);
    if (!span) return;
    this.tts.delete(contextId);
    if (this.ttsCurrent === span) this.ttsCurrent = undefined;
    if (interrupted) span.setAttribute('parley.interrupted', true);
    span.end();
  }

  private onMetric(f: MetricsFrame, source: FrameProcessor): void {
    if (source instanceof LLMService) {
      const span = this.llm;
      if (!span) return;
      if (f.name === 'ttfb' && !this.llmTtfbSeen) {
        this.llmTtfbSeen = true;
        span.setAttribute('parley.llm.ttfb_ms', f.value);
      } else if (f.name === 'prompt_tokens') {
        this.llmTokens.input += f.value;
        span.setAttribute('gen_ai.usage.input_tokens', this.llmTokens.input);
      } else if (f.name === 'completion_tokens') {
        this.llmTokens.output += f.value;
        span.setAttribute('gen_ai.usage.output_tokens', this.llmTokens.output);
      }
    } else if (source instanceof TTSService) {
      const span = this.ttsCurrent;
      if (!span) return;
      if (f.name === 'ttfb') span.setAttribute('parley.tts.ttfb_ms', f.value);
      else if (f.name === 'characters') span.setAttribute('parley.tts.characters', f.value);
    } else if (source instanceof STTService) {
      const span = this.stt;
      if (!span) return;
      if (f.name === 'ttfb') span.setAttribute('parley.stt.ttfb_ms', f.value);
      else if (f.name === 'audio_seconds') span.setAttribute('parley.stt.audio_seconds', f.value);
    }
  }
}

/** `firstAudioSentMs` → `first_audio_sent_ms`. */
function snake(key: string): string {
  return key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}
