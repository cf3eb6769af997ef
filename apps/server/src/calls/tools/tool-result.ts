/**
 * Bounds what a tool gives the LLM: a long answer fills the context and slows every later
 * completion, so it is cut, with a note that says so (the model should not take the cut text
 * for the whole answer).
 */

/**
 * `text` when it has at most `maxChars` characters; else its first `maxChars` characters and a
 * note `[cut: the answer had N characters; only the first M are shown]`.
 */
export function trimForLlm(text: string, maxChars: number): string {
  if (text.length <= maxChars) return text;
  return `${text.slice(0, maxChars)}\n[cut: the answer had ${text.length} characters; only the first ${maxChars} are shown]`;
}
