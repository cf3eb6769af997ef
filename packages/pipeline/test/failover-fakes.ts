import type { ToolDefinition } from '../src/context/llm-context.ts';
import type { LLMMessage } from '../src/frames/frames.ts';
import { type LLMChunk, LLMService, type LLMServiceOptions } from '../src/services/llm-service.ts';
import type { MetricLabels } from '../src/services/metrics.ts';
import { STTService } from '../src/services/stt-service.ts';
import { type TTSAudioChunk, TTSService, type TTSServiceOptions } from '../src/services/tts-service.ts';

/** An error like a vendor service's request error: an HTTP `status`, maybe a `retryAfterMs`. */
export class FakeRequestError extends Error {
  override readonly name = 'FakeRequestError';
  constructor(
    readonly status: number,
    readonly retryAfterMs?: number,
  ) {
    super(`request failed (HTTP ${status})`);
  }
}

/** An error like a vendor service's configuration error (a rejected key). */
export class FakeConfigurationError extends Error {
  override readonly name = 'FakeConfigurationError';
  readonly status = 401;
  constructor() {
    super('the provider rejected the API key (HTTP 401)');
  }
}

/** Never settles until `signal` aborts (then rejects like an aborted fetch). */
export function untilAborted(signal: AbortSignal): Promise<never> {
  return new Promise((_resolve, reject) => {
    const abort = () => reject(new DOMException('aborted', 'AbortError'));
    if (signal.aborted) abort();
    else signal.addEventListener('abort', abort, { once: true });
  });
}

/** One scripted LLM request: what the stream does. */
export type LLMStep =
  | { readonly reply: string }
  | { readonly fail: Error }
  | { readonly partial: string; readonly fail: Error }
  | { readonly hang: true };

/** An LLM answering each request with the next step of its script (`{ reply: 'Done.' }` when used up). */
export class ScriptLLM extends LLMService {
  /** Requests made to it. */
  requests = 0;
  constructor(
    name: string,
    private readonly script: LLMStep[] = [],
    options?: LLMServiceOptions,
  ) {
    super(name, options);
  }
  override metricLabels(): MetricLabels {
    return { provider: this.name.toLowerCase(), model: `${this.name.toLowerCase()}-1` };
  }
  protected override async *streamCompletion(
    _messages: LLMMessage[],
    _tools: readonly ToolDefinition[],
    signal: AbortSignal,
  ): AsyncIterable<LLMChunk> {
    this.requests++;
    const step = this.script.shift() ?? { reply: 'Done.' };
    await Promise.resolve();
    if ('hang' in step) {
      yield await untilAborted(signal);
      return;
    }
    if ('partial' in step) {
      yield { type: 'text', text: step.partial };
      throw step.fail;
    }
    if ('fail' in step) throw step.fail;
    for (const word of step.reply.split(/(?<= )/)) yield { type: 'text', text: word };
    yield { type: 'usage', promptTokens: 10, completionTokens: step.reply.split(' ').length };
  }
}

/** One scripted synthesis: `ok` yields 2 chunks of 80 samples; the others fail before or after the first. */
export type TTSStep = 'ok' | { readonly fail: Error } | { readonly failAfterAudio: Error } | 'hang';

/** A TTS answering each sentence with the next step of its script (`'ok'` when used up). */
export class ScriptTTS extends TTSService {
  readonly texts: string[] = [];
  constructor(
    name: string,
    readonly sampleRateHz: number,
    private readonly script: TTSStep[] = [],
    options?: TTSServiceOptions,
  ) {
    super(name, options);
  }
  override metricLabels(): MetricLabels {
    return { provider: this.name.toLowerCase() };
  }
  protected override async *synthesize(text: string, signal: AbortSignal): AsyncIterable<TTSAudioChunk> {
    this.texts.push(text);
    const step = this.script.shift() ?? 'ok';
    await Promise.resolve();
    if (step === 'hang') {
      yield await untilAborted(signal);
      return;
    }
    if (typeof step === 'object' && 'fail' in step) throw step.fail;
    yield { audio: new Int16Array(0), words: [{ word: this.name, startMs: 0, endMs: 10 }] };
    const samples = this.sampleRateHz / 100; // 10 ms
    yield { audio: new Int16Array(samples).fill(1000) };
    if (typeof step === 'object') throw step.failAfterAudio;
    yield { audio: new Int16Array(samples).fill(1000) };
  }
}

/**
 * A streaming STT that counts the caller's samples and, when the caller stops speaking,
 * transcribes "<name> heard <n> samples" (the samples since its last transcript). `lose()`
 * reports a fatal stream error; `refuse` makes its stream fail to open, or (`'hang'`) never open.
 */
export class CountingSTT extends STTService {
  static readonly made: CountingSTT[] = [];
  samples = 0;
  opened = false;
  closed = false;
  constructor(
    name: string,
    private readonly refuse?: Error | 'hang',
  ) {
    super(name);
    CountingSTT.made.push(this);
  }
  override metricLabels(): MetricLabels {
    return { provider: this.name.toLowerCase() };
  }
  lose(): void {
    this.pushError(new Error(`${this.name} stream lost`), true);
  }
  protected override async connect(_rateHz: number, signal: AbortSignal): Promise<void> {
    await Promise.resolve();
    if (this.refuse === 'hang') await untilAborted(signal);
    if (this.refuse) throw this.refuse;
    this.opened = true;
  }
  protected override sendAudio(pcm: Int16Array): void {
    this.samples += pcm.length;
  }
  protected override onUserStoppedSpeaking(): void {
    this.emitTranscript(`${this.name} heard ${this.samples} samples`, true);
    this.samples = 0;
  }
  protected override disconnect(): void {
    this.closed = true;
  }
}
