import type { LLMToolCall } from '@parley/pipeline';

/** One streamed fragment of a tool call, as in a Chat Completions chunk's `delta.tool_calls[]`. */
export interface ToolCallFragment {
  /** Which call of a (possibly parallel) set this fragment belongs to: 0, 1, … */
  readonly index: number;
  /** Present on the first fragment of a call. */
  readonly id?: string | undefined;
  readonly function?:
    | { readonly name?: string | undefined; readonly arguments?: string | undefined }
    | undefined;
}

/**
 * Joins streamed tool-call fragments into complete calls, keyed by `index`
 * (https://platform.openai.com/docs/api-reference/chat-streaming): the first fragment of an
 * index carries `id` and `function.name`; later ones carry pieces of `function.arguments` to
 * concatenate. Servers that omit the id get a generated one (`call_<n>_<index>`).
 */
export class ToolCallAssembler {
  private readonly calls = new Map<number, { id: string; name: string; arguments: string }>();
  private static generated = 0;

  /** Add the fragments of one chunk. */
  add(fragments: readonly ToolCallFragment[]): void {
    for (const f of fragments) {
      let call = this.calls.get(f.index);
      if (!call) {
        call = { id: '', name: '', arguments: '' };
        this.calls.set(f.index, call);
      }
      // Some compatible servers repeat the id and name on every fragment: keep the first.
      if (f.id && !call.id) call.id = f.id;
      if (f.function?.name && !call.name) call.name = f.function.name;
      if (f.function?.arguments) call.arguments += f.function.arguments;
    }
  }

  /** True when no fragment was added. */
  get isEmpty(): boolean {
    return this.calls.size === 0;
  }

  /** Forget every call (after {@link finish}). */
  clear(): void {
    this.calls.clear();
  }

  /** The complete calls, in `index` order. */
  finish(): LLMToolCall[] {
    return [...this.calls.entries()]
      .sort(([a], [b]) => a - b)
      .map(([index, c]) => ({
        id: c.id || `call_${++ToolCallAssembler.generated}_${index}`,
        type: 'function',
        function: { name: c.name, arguments: c.arguments },
      }));
  }
}
