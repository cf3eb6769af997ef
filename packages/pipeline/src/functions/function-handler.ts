import type { LLMContext } from '../context/llm-context.ts';

/** What a function handler receives besides its arguments. */
export interface FunctionCallContext {
  /** Id of the call (the provider's `tool_call_id`). */
  readonly toolCallId: string;
  /** Name of the tool the LLM called. */
  readonly functionName: string;
  /**
   * Aborted when the call is cancelled, with `signal.reason` a `DOMException` named
   * `TimeoutError` (its time limit passed) or `AbortError` (the caller interrupted and the
   * function allows that, or the pipeline stopped). Pass it to every fetch or socket the
   * handler awaits; what the handler returns after the abort is ignored.
   */
  readonly signal: AbortSignal;
  /**
   * The call's LLM context. Its `tool` message for this call holds a placeholder until the
   * handler returns; a handler may change `tools` or add messages (e.g. a flow moving to its
   * next node), which the follow-up LLM run will see.
   */
  readonly llmContext: LLMContext;
}

/**
 * Runs one tool with the arguments the LLM gave (the parsed JSON object; `{}` when the LLM
 * sent none). Its return value becomes the tool result the LLM reads: a string as it is,
 * anything else as JSON (`undefined` as `null`); return a `FunctionResult` to also say that the
 * LLM must not run again after the call (`runLlm: false`). A throw or rejection gives the LLM a generic
 * failure text and the pipeline an `error` frame (see `FunctionCallError`).
 */
export type FunctionHandler = (
  args: Readonly<Record<string, unknown>>,
  context: FunctionCallContext,
) => unknown | Promise<unknown>;

/** How a registered function runs (see `LLMService.registerFunction`). */
export interface FunctionOptions {
  /**
   * Time limit of one call, ms. When it passes the call is cancelled (its signal aborts, a
   * `function_call_cancel` with reason `timeout` is pushed) and the LLM reads that it timed
   * out. `Infinity` sets no limit. Default: the service's `functionTimeoutMs` (10000).
   */
  readonly timeoutMs?: number;
  /**
   * Whether the caller barging in cancels the call. Default true (Pipecat's default). Set it
   * false for calls with side effects that must complete (a booking, a payment): they keep
   * running after an interruption and their result still lands in the context.
   */
  readonly cancelOnInterruption?: boolean;
}
