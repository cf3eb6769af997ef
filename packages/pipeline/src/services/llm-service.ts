import type { LLMContext, ToolDefinition } from '../context/llm-context.ts';
import {
  type Frame,
  type FrameType,
  frame,
  type LLMMessage,
  type LLMToolCall,
  type MetricsFrame,
  type ServiceKind,
} from '../frames/frames.ts';
import { FunctionCallRunner } from '../functions/function-call-runner.ts';
import type { FunctionHandler, FunctionOptions } from '../functions/function-handler.ts';
import { toolResultText } from '../functions/tool-result-text.ts';
import {
  CALLER_AUDIO,
  type Direction,
  FrameProcessor,
  type HandlerResult,
  isAbortError,
} from '../processors/frame-processor.ts';
import { type MetricLabels, metric } from './metrics.ts';
import { withinResponseTimeout } from './response-timeout.ts';
import { type RetryOptions, retryUntilOutput } from './retry.ts';

/** One piece of a streamed completion, as a provider adapter yields it. */
export type LLMChunk =
  | { readonly type: 'text'; readonly text: string }
  /** A complete tool call (the adapter joins the streamed argument fragments). */
  | { readonly type: 'tool_call'; readonly call: LLMToolCall }
  | { readonly type: 'usage'; readonly promptTokens: number; readonly completionTokens: number };

/** Options shared by LLM services. */
export interface LLMServiceOptions {
  /**
   * Tool rounds per turn: how many times one turn may run the LLM's function calls (each
   * round followed by one more LLM run), so the LLM runs at most `maxToolSteps + 1` times. Calls
   * asked for past the limit are not run: each gets an error result telling the model to answer
   * now, and the turn ends. Default 3 (LiveKit's `max_tool_steps`).
   */
  readonly maxToolSteps?: number;
  /**
   * Time limit of a function call whose registration sets none, ms (`Infinity` for none).
   * Default 10000.
   */
  readonly functionTimeoutMs?: number;
  /**
   * Longest wait for the first piece of a completion, and between pieces, ms (`Infinity` for
   * none). When it passes, the request is aborted and the run fails with a
   * `ServiceTimeoutError` (a non-fatal `error` frame with `service: 'llm'`). Default 5000.
   */
  readonly responseTimeoutMs?: number;
  /**
   * Retries of a request that fails transiently (429, 5xx, connection error) before its first
   * chunk, with backoff on the pipeline's clock; see {@link RetryOptions}. Default none (vendor
   * SDKs often retry on their own): e.g. `{ retries: 1 }`.
   */
  readonly retry?: RetryOptions;
}

/**
 * Base class of LLM services. On an `llm_context` frame it streams a completion of the
 * context and pushes `llm_response_start`, `llm_text`…, `llm_response_end`, with metrics
 * (`ttfb` ms, `prompt_tokens`, `completion_tokens`, labelled with {@link metricLabels}).
 * Subclasses implement {@link streamCompletion} only.
 *
 * Function calling (see {@link FunctionCallRunner} for the frames, which this service pushes
 * both downstream and upstream, so that processors before it, such as the turn processor's
 * `FunctionCallMuteStrategy`, see them): the calls of one
 * completion form a group that runs in parallel; the assistant message with the calls and one
 * `tool` message per call go into the context at once (placeholders, filled in as calls end);
 * the LLM runs again once, after the last call of the group ended, unless a handler returned a
 * `FunctionResult` with `runLlm: false` (the response then ends there). Every call ends in exactly
 * one `function_call_result` or `function_call_cancel`:
 * - a call's time limit passes → cancel (`timeout`), the model reads that it timed out;
 * - a handler throws → a generic failure text for the model, a non-fatal `error` frame
 *   (cause `FunctionCallError`) upstream;
 * - an unknown tool, or arguments that are not a JSON object → an error result at once;
 * - the caller interrupts → calls registered with `cancelOnInterruption` (the default) are
 *   cancelled (`interruption`) and the turn ends without a follow-up run; the others keep
 *   running outside the frame handler, so the next turn is never blocked by them, and their
 *   results land in the context (in place of their placeholders) for the LLM's next run. They
 *   do not start an LLM run themselves: the caller has taken the turn.
 * - the pipeline stops (`end`, `stop` or `cancel`) → calls still running are cancelled (`cancel`).
 *   Subclasses overriding `onStop` must call `super.onStop`.
 *
 * Context frames are applied to {@link context} in their place among the queued frames (so after
 * the response in progress) and not passed on: `llm_messages_append` and `llm_messages_replace`
 * (then, with `runLlm`, a response like an `llm_context` frame's), `llm_set_tools` (the
 * context's `tools`). Before the service has a context they are dropped with an `error` frame.
 */
export abstract class LLMService extends FrameProcessor {
  private readonly maxToolSteps: number;
  private readonly responseTimeoutMs: number;
  private readonly retry: RetryOptions;
  private readonly runner: FunctionCallRunner;
  private currentContext: LLMContext | undefined;

  constructor(name: string, options: LLMServiceOptions = {}) {
    super(name);
    this.maxToolSteps = options.maxToolSteps ?? 3;
    this.responseTimeoutMs = options.responseTimeoutMs ?? 5000;
    if (!(this.responseTimeoutMs > 0)) throw new RangeError('responseTimeoutMs must be > 0');
    this.retry = options.retry ?? {};
    this.runner = new FunctionCallRunner(
      {
        // Both ways: processors before the LLM (mute strategies, idle prompts) follow calls too.
        push: (f) => {
          this.push(f);
          this.push(f, 'upstream');
        },
        // Not pushError: a failed tool is handled (the model is told), so the service's error
        // policy, meant for its own failures, must not end the call over it.
        reportError: (e) =>
          this.push(
            frame('error', { message: e.message, fatal: false, source: this.name, cause: e }),
            'upstream',
          ),
        clock: () => this.clock,
      },
      options.functionTimeoutMs ?? 10_000,
    );
  }

  /**
   * Register (or replace) the handler of tool `name`; the tool's schema goes in the context's
   * `tools`. `options` set its time limit and whether an interruption cancels it.
   * @throws RangeError when `options.timeoutMs` is not a positive number (or `Infinity`).
   */
  registerFunction(name: string, handler: FunctionHandler, options?: FunctionOptions): void {
    this.runner.register(name, handler, options);
  }

  /** Remove the handler of tool `name` (calls already running go on). Returns whether it existed. */
  unregisterFunction(name: string): boolean {
    return this.runner.unregister(name);
  }

  /**
   * The context that `llm_messages_append`, `llm_messages_replace` and `llm_set_tools` frames
   * change: that of the last `llm_context` frame or {@link setContext} call, whichever came last.
   */
  get context(): LLMContext | undefined {
    return this.currentContext;
  }

  /**
   * Set {@link context} before any `llm_context` frame came (e.g. to inject a first prompt with
   * `llm_messages_append` and `runLlm`). Pass the context the aggregators share.
   */
  setContext(context: LLMContext): void {
    this.currentContext = context;
  }

  /** Function calls started and not yet ended (including ones that outlived their turn). */
  get activeFunctionCalls(): number {
    return this.runner.activeCalls;
  }

  /**
   * Stream one completion of `messages` with `tools`. Must stop promptly when `signal` aborts
   * (throwing an AbortError is fine).
   */
  protected abstract streamCompletion(
    messages: LLMMessage[],
    tools: readonly ToolDefinition[],
    signal: AbortSignal,
  ): AsyncIterable<LLMChunk>;

  /**
   * The provider and model named on this service's metrics, for usage accounting (e.g.
   * `{ provider: 'openai', model: 'gpt-4.1' }`). Default none: usage is then counted under the
   * processor's name. Vendor services override it.
   */
  metricLabels(): MetricLabels {
    return {};
  }

  /**
   * One completion of `messages` with `tools`, as this service runs it for a turn: each attempt
   * bounded by `responseTimeoutMs`, a transient failure before the first chunk retried per
   * `retry`. Pushes no frames (no metrics either). An entry point for composites that run the
   * service without linking it into a pipeline (`FailoverLLMService`); the service must have
   * been started (its clock comes from the start frame).
   * @throws what {@link streamCompletion} throws, or a `ServiceTimeoutError`.
   */
  stream(
    messages: LLMMessage[],
    tools: readonly ToolDefinition[],
    signal: AbortSignal,
  ): AsyncIterable<LLMChunk> {
    return retryUntilOutput(
      () => {
        const timeout = new AbortController();
        const request = AbortSignal.any([signal, timeout.signal]);
        return withinResponseTimeout(this.streamCompletion(messages, tools, request), {
          timeoutMs: this.responseTimeoutMs,
          clock: this.clock,
          service: 'llm',
          source: this.name,
          abort: () => timeout.abort(),
        });
      },
      this.retry,
      { clock: this.clock, signal },
      (chunk) => chunk.type !== 'usage',
    );
  }

  protected override get forwardedFrameTypes(): readonly FrameType[] {
    return CALLER_AUDIO;
  }

  protected override processFrame(f: Frame, direction: Direction, signal: AbortSignal): HandlerResult {
    switch (f.type) {
      case 'llm_context':
        this.currentContext = f.context;
        return this.respond(f.context, signal);
      case 'llm_messages_append':
      case 'llm_messages_replace':
      case 'llm_set_tools':
        return this.applyContextFrame(f, signal);
      case 'interruption':
        // The turn's handler was aborted already; cancel the calls that allow it.
        this.push(f, direction);
        this.runner.interrupt();
        return;
    }
    this.push(f, direction);
  }

  protected override onStop(): HandlerResult {
    this.runner.cancelAll();
  }

  protected override get serviceKind(): ServiceKind {
    return 'llm';
  }

  /** Changes the context in the frame's place in the queue (after the response in progress). */
  private applyContextFrame(
    f: Extract<Frame, { type: 'llm_messages_append' | 'llm_messages_replace' | 'llm_set_tools' }>,
    signal: AbortSignal,
  ): HandlerResult {
    const context = this.currentContext;
    if (!context) {
      // Not pushError: a misuse, not a failure of the service the caller should hear an apology for.
      const message = `${f.type} came before the LLM service had a context (see setContext); dropped`;
      this.push(frame('error', { message, fatal: false, source: this.name }), 'upstream');
      return;
    }
    if (f.type === 'llm_set_tools') {
      context.tools = [...f.tools];
      return;
    }
    if (f.type === 'llm_messages_append') context.add(...f.messages);
    else context.replace(f.messages);
    if (f.runLlm) return this.respond(context, signal);
  }

  private async respond(context: LLMContext, signal: AbortSignal): Promise<void> {
    this.push(frame('llm_response_start'));
    try {
      await this.rounds(context, signal);
    } catch (e) {
      if (signal.aborted && isAbortError(e)) return;
      this.pushError(e);
      // Close the response, so that what follows (sentences, context) is not left waiting for it.
      if (!signal.aborted) this.push(frame('llm_response_end'));
    }
  }

  private async rounds(context: LLMContext, signal: AbortSignal): Promise<void> {
    for (let round = 0; ; round++) {
      const calls = await this.runOnce(context, signal);
      if (signal.aborted) return;
      if (calls.length === 0) break;
      if (round >= this.maxToolSteps) {
        await this.runner.run(context, calls, toolResultText.stepLimit);
        break;
      }
      // Calls that survive an interruption must not hold this handler (and so the next turn).
      let followUp = true;
      await settledOrAborted(
        this.runner.run(context, calls).then((outcome) => {
          followUp = outcome.runLlm;
        }),
        signal,
      );
      if (signal.aborted) return;
      if (!followUp) break; // a result asked for no follow-up run (FunctionResult.runLlm)
    }
    this.push(frame('llm_response_end'));
  }

  /** One completion; returns the tool calls it asked for (added to the context). */
  private async runOnce(context: LLMContext, signal: AbortSignal): Promise<LLMToolCall[]> {
    const t0 = performance.now();
    let first = true;
    const calls: LLMToolCall[] = [];
    for await (const chunk of this.stream(context.snapshot(), context.tools, signal)) {
      if (signal.aborted) return [];
      if (first && chunk.type !== 'usage') {
        first = false;
        this.pushUsage('ttfb', performance.now() - t0, 'ms');
      }
      if (chunk.type === 'text') {
        this.push(frame('llm_text', { text: chunk.text }));
      } else if (chunk.type === 'tool_call') {
        calls.push(chunk.call);
      } else {
        this.pushUsage('prompt_tokens', chunk.promptTokens, 'tokens');
        this.pushUsage('completion_tokens', chunk.completionTokens, 'tokens');
      }
    }
    if (signal.aborted) return [];
    // Text said with the calls reaches the context through the assistant aggregator, as heard.
    if (calls.length > 0) context.add({ role: 'assistant', content: null, tool_calls: calls });
    return calls;
  }

  private pushUsage(name: string, value: number, unit: MetricsFrame['unit']): void {
    this.push(metric(this.name, name, value, unit, { service: 'llm', ...this.metricLabels() }));
  }
}

/** Resolves when `done` resolves or `signal` aborts, whichever comes first. `done` must not reject. */
function settledOrAborted(done: Promise<void>, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise<void>((resolve) => {
    const onAbort = () => resolve();
    signal.addEventListener('abort', onAbort, { once: true });
    done.then(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    });
  });
}
