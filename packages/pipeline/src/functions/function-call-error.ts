/**
 * A function handler threw or rejected. Carried as the `cause` of the `error` frame the LLM
 * service pushes upstream (non-fatal); the LLM itself only reads a generic failure text, never
 * the exception's message. The handler's own error is this error's `cause`.
 */
export class FunctionCallError extends Error {
  override readonly name = 'FunctionCallError';
  /** Name of the tool that failed. */
  readonly functionName: string;
  /** Id of the failed call. */
  readonly toolCallId: string;

  constructor(functionName: string, toolCallId: string, cause: unknown) {
    const detail = cause instanceof Error ? cause.message : String(cause);
    super(`Function ${functionName} (call ${toolCallId}) failed: ${detail}`, { cause });
    this.functionName = functionName;
    this.toolCallId = toolCallId;
  }
}
