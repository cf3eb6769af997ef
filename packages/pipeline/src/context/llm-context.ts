import type { LLMMessage } from '../frames/frames.ts';

/**
 * A tool the LLM may call: its name, a description for the model and JSON-schema parameters
 * (the OpenAI function shape, https://platform.openai.com/docs/guides/function-calling).
 *
 * This is only what the model sees. How the call runs (its handler, time limit and whether an
 * interruption cancels it) is set where the handler is registered, with
 * `LLMService.registerFunction(name, handler, options)`, so stored tool definitions (agent
 * configuration, flow nodes) stay provider-shaped.
 */
export interface ToolDefinition {
  readonly name: string;
  readonly description: string;
  /** JSON Schema of the arguments object. */
  readonly parameters: Readonly<Record<string, unknown>>;
}

/**
 * The conversation of one call, shared by the user aggregator (appends what the caller
 * said), the LLM service (reads it, appends tool calls and results) and the assistant
 * aggregator (appends what the caller heard of the bot).
 *
 * Tool calls: when the LLM asks for calls, the LLM service appends the assistant message with
 * its `tool_calls` and, at once, one `tool` message per call holding a placeholder; each
 * placeholder is replaced in place ({@link setToolResult}) when the call ends. So the context
 * is valid for a provider at every moment, even while a call outlives an interrupted turn.
 */
export class LLMContext {
  private readonly list: LLMMessage[];
  /** Tools offered to the LLM on every run. */
  tools: ToolDefinition[];

  constructor(messages: readonly LLMMessage[] = [], tools: readonly ToolDefinition[] = []) {
    this.list = [...messages];
    this.tools = [...tools];
  }

  /** The messages, oldest first (a read-only view). */
  get messages(): readonly LLMMessage[] {
    return this.list;
  }

  /** Append messages at the end. */
  add(...messages: LLMMessage[]): void {
    this.list.push(...messages);
  }

  /** Replace every message (e.g. a new flow node's prompt). */
  replace(messages: readonly LLMMessage[]): void {
    this.list.length = 0;
    this.list.push(...messages);
  }

  /**
   * Set the content of the `tool` message answering `toolCallId` (the latest one, when there
   * are several). Returns false when there is none, e.g. because the messages were replaced
   * while the call ran; nothing is appended then.
   */
  setToolResult(toolCallId: string, content: string): boolean {
    for (let i = this.list.length - 1; i >= 0; i--) {
      const m = this.list[i]!;
      if (m.role === 'tool' && m.tool_call_id === toolCallId) {
        this.list[i] = { role: 'tool', tool_call_id: toolCallId, content };
        return true;
      }
    }
    return false;
  }

  /** A snapshot safe to hand to a provider while the context keeps changing. */
  snapshot(): LLMMessage[] {
    return this.list.map((m) => ({ ...m }));
  }
}
