import type { Clock, TimerHandle } from '../clock/clock.ts';
import type { LLMContext } from '../context/llm-context.ts';
import { type Frame, type FunctionCallCancelFrame, frame, type LLMToolCall } from '../frames/frames.ts';
import { isAbortError } from '../processors/frame-processor.ts';
import { FunctionCallError } from './function-call-error.ts';
import type { FunctionHandler, FunctionOptions } from './function-handler.ts';
import { FunctionResult } from './function-result.ts';
import { toolResultText } from './tool-result-text.ts';

/** What a {@link FunctionCallRunner} needs from the processor that hosts it. */
export interface FunctionCallRunnerHost {
  /** Push a frame downstream. */
  push(f: Frame): void;
  /** Report a failed handler (the host pushes a non-fatal `error` frame upstream). */
  reportError(error: FunctionCallError): void;
  /** The clock for time limits (read when a call starts). */
  clock(): Clock;
}

/** Why a call was cancelled (the `reason` of `function_call_cancel`). */
export type FunctionCancelReason = FunctionCallCancelFrame['reason'];

interface Registered {
  readonly handler: FunctionHandler;
  readonly timeoutMs: number;
  readonly cancelOnInterruption: boolean;
}

/** How a group of calls ended (see {@link FunctionCallRunner.run}). */
export interface FunctionGroupOutcome {
  /** False when a call's handler returned a {@link FunctionResult} with `runLlm: false`. */
  readonly runLlm: boolean;
}

/** The state a group's calls share. */
interface GroupState {
  runLlm: boolean;
}

interface RunningCall {
  readonly call: LLMToolCall;
  readonly group: GroupState;
  readonly context: LLMContext;
  readonly cancelOnInterruption: boolean;
  readonly controller: AbortController;
  readonly clock: Clock;
  readonly onEnd: () => void;
  timer: TimerHandle | undefined;
  ended: boolean;
}

/**
 * Runs the function calls of an LLM service: a registry of handlers and the calls in flight.
 *
 * One LLM response's calls form a group ({@link run}). For a group it appends one `tool`
 * placeholder message per call to the context, pushes `function_calls_started` with all the
 * calls, then one `function_call_in_progress` per call (uninterruptible unless the function
 * is cancelled by interruptions), and starts every handler at once. Each call then ends in
 * exactly one of:
 * - `function_call_result`: the handler's value (a {@link FunctionResult}'s `value`), a generic
 *   failure text when it threw (plus
 *   an `error` via the host), or an error text at once for an unknown tool or arguments that
 *   are not a JSON object;
 * - `function_call_cancel` with reason `timeout` (its time limit passed), `interruption`
 *   ({@link interrupt}, cancellable calls only) or `cancel` ({@link cancelAll}); the handler's
 *   signal aborts and the context's placeholder says why.
 *
 * Whatever a handler does after its call ended (a late value, a late abort error) is ignored;
 * a late failure of another kind is still reported. The runner does not depend on the host's
 * handler: calls that survive an interruption keep running and end on their own.
 */
export class FunctionCallRunner {
  private readonly functions = new Map<string, Registered>();
  private readonly running = new Set<RunningCall>();

  /**
   * @param host where frames and errors go, and the clock.
   * @param defaultTimeoutMs time limit of calls whose function sets none, ms.
   */
  constructor(
    private readonly host: FunctionCallRunnerHost,
    private readonly defaultTimeoutMs: number,
  ) {
    checkTimeout(defaultTimeoutMs);
  }

  /**
   * Register (or replace) the handler of tool `name`.
   * @throws RangeError when `options.timeoutMs` is not a positive number.
   */
  register(name: string, handler: FunctionHandler, options: FunctionOptions = {}): void {
    const timeoutMs = options.timeoutMs ?? this.defaultTimeoutMs;
    checkTimeout(timeoutMs);
    this.functions.set(name, {
      handler,
      timeoutMs,
      cancelOnInterruption: options.cancelOnInterruption ?? true,
    });
  }

  /** Remove the handler of tool `name`; calls already running are not affected. */
  unregister(name: string): boolean {
    return this.functions.delete(name);
  }

  /** Calls started and not yet ended. */
  get activeCalls(): number {
    return this.running.size;
  }

  /**
   * Run one LLM response's calls in parallel (see the class comment). Resolves, never
   * rejects, once every call of the group has ended, with whether the LLM should run again
   * (`runLlm` false when a handler returned a {@link FunctionResult} saying so). With `refusal`,
   * no handler runs and each call ends at once with that text as its result (used past the
   * tool-step limit).
   */
  run(context: LLMContext, calls: readonly LLMToolCall[], refusal?: string): Promise<FunctionGroupOutcome> {
    const group: GroupState = { runLlm: true };
    if (calls.length === 0) return Promise.resolve(group);
    return new Promise<FunctionGroupOutcome>((resolve) => {
      let left = calls.length;
      const onEnd = () => {
        if (--left === 0) resolve({ runLlm: group.runLlm });
      };
      context.add(
        ...calls.map((c) => ({
          role: 'tool' as const,
          tool_call_id: c.id,
          content: toolResultText.inProgress,
        })),
      );
      this.host.push(frame('function_calls_started', { calls: [...calls] }));
      const clock = this.host.clock();
      const started: Array<[RunningCall, Registered | undefined]> = calls.map((call) => {
        const registered = refusal === undefined ? this.functions.get(call.function.name) : undefined;
        const cancelOnInterruption = registered?.cancelOnInterruption ?? true;
        const state: RunningCall = {
          call,
          group,
          context,
          cancelOnInterruption,
          controller: new AbortController(),
          clock,
          onEnd,
          timer: undefined,
          ended: false,
        };
        this.running.add(state);
        this.host.push(
          frame('function_call_in_progress', {
            call,
            cancelOnInterruption,
            uninterruptible: !cancelOnInterruption,
          }),
        );
        return [state, registered];
      });
      for (const [state, registered] of started) this.start(state, registered, refusal);
    });
  }

  /** Cancel every running call whose function allows it (reason `interruption`). */
  interrupt(): void {
    for (const s of [...this.running]) {
      if (s.cancelOnInterruption) this.cancel(s, 'interruption', toolResultText.interrupted);
    }
  }

  /** Cancel every running call (reason `cancel`), e.g. when the pipeline stops. */
  cancelAll(): void {
    for (const s of [...this.running]) this.cancel(s, 'cancel', toolResultText.cancelled);
  }

  private start(s: RunningCall, registered: Registered | undefined, refusal: string | undefined): void {
    const name = s.call.function.name;
    if (refusal !== undefined) {
      this.finish(s, refusal);
      return;
    }
    if (!registered) {
      this.finish(s, toolResultText.unknownFunction(name));
      return;
    }
    const args = parseArguments(s.call.function.arguments);
    if (!args) {
      this.finish(s, toolResultText.invalidArguments);
      return;
    }
    const { timeoutMs } = registered;
    if (Number.isFinite(timeoutMs)) {
      s.timer = s.clock.setTimeout(
        () => this.cancel(s, 'timeout', toolResultText.timedOut(timeoutMs)),
        timeoutMs,
      );
    }
    let value: unknown;
    try {
      value = registered.handler(args, {
        toolCallId: s.call.id,
        functionName: name,
        signal: s.controller.signal,
        llmContext: s.context,
      });
    } catch (e) {
      this.fail(s, e);
      return;
    }
    if (isThenable(value)) {
      Promise.resolve(value).then(
        (v: unknown) => this.succeed(s, v),
        (e: unknown) => this.fail(s, e),
      );
    } else this.succeed(s, value);
  }

  private succeed(s: RunningCall, returned: unknown): void {
    if (s.ended) return;
    let value = returned;
    if (returned instanceof FunctionResult) {
      value = returned.value;
      if (!returned.runLlm) s.group.runLlm = false;
    }
    let text: string;
    try {
      text = typeof value === 'string' ? value : (JSON.stringify(value ?? null) ?? 'null');
    } catch (e) {
      this.fail(s, e); // e.g. a circular or BigInt value
      return;
    }
    this.finish(s, text);
  }

  private fail(s: RunningCall, e: unknown): void {
    if (s.ended) {
      const signal = s.controller.signal;
      if (signal.aborted && (e === signal.reason || isAbortError(e) || isTimeoutError(e))) return;
    }
    this.host.reportError(new FunctionCallError(s.call.function.name, s.call.id, e));
    if (!s.ended) this.finish(s, toolResultText.failed);
  }

  private finish(s: RunningCall, result: string): void {
    if (!this.end(s)) return;
    s.context.setToolResult(s.call.id, result);
    this.host.push(
      frame('function_call_result', { toolCallId: s.call.id, name: s.call.function.name, result }),
    );
    s.onEnd();
  }

  private cancel(s: RunningCall, reason: FunctionCancelReason, text: string): void {
    if (!this.end(s)) return;
    s.controller.abort(
      reason === 'timeout'
        ? new DOMException(`function ${s.call.function.name} timed out`, 'TimeoutError')
        : new DOMException(
            reason === 'interruption'
              ? 'cancelled: the caller interrupted'
              : 'cancelled: the pipeline stopped',
            'AbortError',
          ),
    );
    s.context.setToolResult(s.call.id, text);
    this.host.push(
      frame('function_call_cancel', { toolCallId: s.call.id, name: s.call.function.name, reason }),
    );
    s.onEnd();
  }

  /** Marks the call ended; false when it already was (so every call ends exactly once). */
  private end(s: RunningCall): boolean {
    if (s.ended) return false;
    s.ended = true;
    s.clock.clearTimeout(s.timer);
    this.running.delete(s);
    return true;
  }
}

function checkTimeout(ms: number): void {
  if (!(ms > 0))
    throw new RangeError(`function timeout must be a positive number of ms or Infinity, got ${ms}`);
}

function parseArguments(json: string): Record<string, unknown> | undefined {
  if (json.trim() === '') return {};
  try {
    const value: unknown = JSON.parse(json);
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
      return value as Record<string, unknown>;
    }
  } catch {
    // not JSON: reported to the model below
  }
  return undefined;
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    (typeof value === 'object' || typeof value === 'function') &&
    value !== null &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}

function isTimeoutError(e: unknown): boolean {
  return e instanceof Error && e.name === 'TimeoutError';
}
