import type { LLMMessage, ToolDefinition } from '@parley/pipeline';
import type OpenAI from 'openai';

/**
 * Convert Parley's context messages to the Chat Completions request shape
 * (https://platform.openai.com/docs/api-reference/chat/create#chat-create-messages).
 *
 * Parley's `interrupted` extension on assistant messages is dropped (providers reject unknown
 * fields); an assistant message with neither content nor tool calls is sent with empty text
 * (the API rejects `content: null` without `tool_calls`), and an empty `tool_calls` array is
 * left out.
 */
export function toOpenAIMessages(messages: readonly LLMMessage[]): OpenAI.Chat.ChatCompletionMessageParam[] {
  return messages.map(toOpenAIMessage);
}

function toOpenAIMessage(m: LLMMessage): OpenAI.Chat.ChatCompletionMessageParam {
  switch (m.role) {
    case 'system':
    case 'user':
      return { role: m.role, content: m.content };
    case 'tool':
      return { role: 'tool', tool_call_id: m.tool_call_id, content: m.content };
    case 'assistant': {
      const calls = m.tool_calls ?? [];
      if (calls.length === 0) return { role: 'assistant', content: m.content ?? '' };
      return {
        role: 'assistant',
        content: m.content,
        tool_calls: calls.map((c) => ({
          id: c.id,
          type: 'function',
          function: { name: c.function.name, arguments: c.function.arguments },
        })),
      };
    }
  }
}

/**
 * Convert Parley's tool definitions to Chat Completions function tools
 * (https://platform.openai.com/docs/guides/function-calling). Returns `undefined` for no tools,
 * so the request carries no `tools` key at all.
 */
export function toOpenAITools(
  tools: readonly ToolDefinition[],
): OpenAI.Chat.ChatCompletionFunctionTool[] | undefined {
  if (tools.length === 0) return undefined;
  return tools.map((t) => ({
    type: 'function',
    function: { name: t.name, description: t.description, parameters: { ...t.parameters } },
  }));
}
