import type Anthropic from '@anthropic-ai/sdk';
import type { LLMMessage, ToolDefinition } from '@parley/pipeline';

type ContentBlock = Anthropic.TextBlockParam | Anthropic.ToolUseBlockParam | Anthropic.ToolResultBlockParam;

/** A conversation in the Messages API's request shape. */
export interface AnthropicConversation {
  /** The leading system messages, joined by a blank line; `undefined` when there are none. */
  readonly system: string | undefined;
  /** User and assistant turns, alternating, the first from the user. */
  readonly messages: Anthropic.MessageParam[];
}

/**
 * Text of the user turn put first when a conversation starts with the bot (a greeting): the
 * Messages API wants the first turn to be the user's.
 */
export const CALL_START_TEXT = '(The call is connected.)';

/**
 * Convert Parley's context messages to a Messages API request
 * (https://docs.anthropic.com/en/api/messages, tool use:
 * https://docs.anthropic.com/en/docs/build-with-claude/tool-use/implement-tool-use):
 * - the system messages before the first turn become the top-level `system` string; a system
 *   message later in the call (an instruction given mid-call, e.g. by a flow) becomes user text
 *   at its place, since the API has no system role inside `messages`;
 * - an assistant message becomes its text (when not empty) followed by one `tool_use` block per
 *   call, with the arguments parsed to an object (`{}` when they are not a JSON object);
 * - a `tool` message becomes a `tool_result` block in a user turn;
 * - consecutive turns of one role are merged into one (so the results of parallel calls share
 *   a user turn), roles alternate, and a conversation that starts with the bot gets a short
 *   user turn ({@link CALL_START_TEXT}) first.
 *
 * Empty texts are left out (the API rejects empty text blocks), and so is Parley's
 * `interrupted` flag.
 */
export function toAnthropicConversation(messages: readonly LLMMessage[]): AnthropicConversation {
  const system: string[] = [];
  const turns: { role: 'user' | 'assistant'; content: ContentBlock[] }[] = [];
  const append = (role: 'user' | 'assistant', blocks: ContentBlock[]) => {
    if (blocks.length === 0) return;
    const last = turns.at(-1);
    if (last?.role === role) last.content.push(...blocks);
    else turns.push({ role, content: blocks });
  };
  for (const m of messages) {
    switch (m.role) {
      case 'system':
        if (turns.length === 0) {
          if (m.content) system.push(m.content);
        } else {
          append('user', text(m.content));
        }
        break;
      case 'user':
        append('user', text(m.content));
        break;
      case 'tool':
        append('user', [{ type: 'tool_result', tool_use_id: m.tool_call_id, content: m.content }]);
        break;
      case 'assistant':
        append('assistant', [
          ...text(m.content ?? ''),
          ...(m.tool_calls ?? []).map(
            (c): Anthropic.ToolUseBlockParam => ({
              type: 'tool_use',
              id: c.id,
              name: c.function.name,
              input: argumentsObject(c.function.arguments),
            }),
          ),
        ]);
        break;
    }
  }
  if (turns[0]?.role === 'assistant') turns.unshift({ role: 'user', content: text(CALL_START_TEXT) });
  return {
    system: system.length > 0 ? system.join('\n\n') : undefined,
    messages: turns,
  };
}

/**
 * Convert Parley's tool definitions to Messages API client tools (`name`, `description`,
 * `input_schema`: https://docs.anthropic.com/en/docs/build-with-claude/tool-use/overview).
 * Returns `undefined` for no tools, so the request carries no `tools` key at all.
 */
export function toAnthropicTools(tools: readonly ToolDefinition[]): Anthropic.Tool[] | undefined {
  if (tools.length === 0) return undefined;
  return tools.map((t) => ({
    name: t.name,
    description: t.description,
    input_schema: { type: 'object', ...t.parameters } as Anthropic.Tool.InputSchema,
  }));
}

function text(value: string): Anthropic.TextBlockParam[] {
  return value ? [{ type: 'text', text: value }] : [];
}

/** `tool_use.input` must be an object: the parsed arguments, or `{}` when they are not one. */
function argumentsObject(json: string): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(json);
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
      return value as Record<string, unknown>;
    }
  } catch {
    // Malformed arguments were answered with an error result already; keep the turn valid.
  }
  return {};
}
