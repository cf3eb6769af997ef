import type { LLMMessage, LLMService } from '@parley/pipeline';
import type { Summariser } from './types.ts';

/**
 * A {@link Summariser} that asks `llm` for one completion through its public one-shot entry
 * point `LLMService.stream` (with the service's response time limit and retries; it pushes no
 * frames, so the call's pipeline sees nothing of it). Works with every LLM service; pass the
 * call's own (it must have started, as it has once the flow runs) or a cheaper one.
 *
 * The request is the node's `summaryPrompt` as the system message and the conversation as one
 * user message of plain text lines (`user: …`, `assistant: …`, tool calls and results as
 * `called name(args)` / `result of name: …`), with no tools: so a provider that refuses tool
 * messages without tool definitions accepts it, and the model cannot call anything. System
 * messages of the conversation (persona, earlier task messages) are left out.
 *
 * @example const flow = new FlowManager({ llm, context, summariser: llmSummariser(llm) });
 */
export function llmSummariser(llm: LLMService): Summariser {
  return async ({ messages, prompt, signal }) => {
    const request: LLMMessage[] = [
      { role: 'system', content: prompt },
      { role: 'user', content: `The conversation so far:\n${transcriptOf(messages)}` },
    ];
    let summary = '';
    for await (const chunk of llm.stream(request, [], signal)) {
      if (chunk.type === 'text') summary += chunk.text;
    }
    return summary;
  };
}

/** The conversation as plain text, one line per message (tool calls one line each). */
function transcriptOf(messages: readonly LLMMessage[]): string {
  const names = new Map<string, string>();
  const lines: string[] = [];
  for (const m of messages) {
    switch (m.role) {
      case 'system':
        break;
      case 'user':
        lines.push(`user: ${m.content}`);
        break;
      case 'assistant':
        if (m.content) lines.push(`assistant: ${m.content}${m.interrupted ? ' (interrupted)' : ''}`);
        for (const c of m.tool_calls ?? []) {
          names.set(c.id, c.function.name);
          lines.push(`called ${c.function.name}(${c.function.arguments})`);
        }
        break;
      case 'tool':
        lines.push(`result of ${names.get(m.tool_call_id) ?? 'a function'}: ${m.content}`);
        break;
    }
  }
  return lines.join('\n');
}
