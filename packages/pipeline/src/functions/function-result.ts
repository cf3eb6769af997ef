/** Options of a {@link FunctionResult}. */
export interface FunctionResultOptions {
  /**
   * Whether the LLM runs again once the call's group of calls has ended. Default true. When any
   * call of the group returns `runLlm: false`, the group gets no follow-up run and the LLM's
   * response ends there (Pipecat's `FunctionCallResultProperties(run_llm=False)`,
   * https://docs.pipecat.ai/guides/learn/function-calling): the results wait in the context for
   * the caller's next turn.
   */
  readonly runLlm?: boolean;
}

/**
 * What a function handler returns to say how the LLM service goes on after the call, besides
 * the result itself: `return new FunctionResult({ booked: true }, { runLlm: false })`. The
 * {@link value} becomes the tool result like any plain return value (a string as it is,
 * anything else as JSON).
 */
export class FunctionResult {
  /** See {@link FunctionResultOptions.runLlm}. */
  readonly runLlm: boolean;

  constructor(
    /** The tool result the LLM reads. */
    readonly value: unknown,
    options: FunctionResultOptions = {},
  ) {
    this.runLlm = options.runLlm ?? true;
  }
}
