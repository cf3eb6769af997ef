/**
 * The texts the LLM reads in a `tool` message when a call did not produce a result of its
 * own. All are JSON objects, like most tool results, so a model treats them uniformly.
 */
export const toolResultText = {
  /** Placeholder while the call runs (seen by the LLM only if a new turn starts meanwhile). */
  inProgress: '{"status":"in progress","note":"the result is not known yet"}',
  /** The handler threw; the exception's text is deliberately not shown to the model. */
  failed: '{"error":"the function failed"}',
  /** The caller interrupted and the function allows cancellation. */
  interrupted: '{"error":"cancelled: the caller interrupted"}',
  /** The pipeline stopped while the call ran. */
  cancelled: '{"error":"cancelled"}',
  /** The LLM asked for more tool rounds than a turn allows. */
  stepLimit: '{"error":"not run: too many tool calls in this turn; answer the caller now"}',
  /** The call's time limit passed. */
  timedOut: (timeoutMs: number): string =>
    JSON.stringify({ error: `timed out after ${formatSeconds(timeoutMs)} s and was cancelled` }),
  /** No handler is registered under `name`. */
  unknownFunction: (name: string): string => JSON.stringify({ error: `unknown function: ${name}` }),
  /** The arguments were not a JSON object. */
  invalidArguments: '{"error":"the arguments were not a valid JSON object"}',
} as const;

function formatSeconds(ms: number): string {
  return String(Math.round(ms / 100) / 10);
}
