import type { LLMContext, LLMMessage } from '@parley/pipeline';
import type { FlowNode } from './types.ts';

/** The strategies that {@link applyNodeMessages} carries out (a failed summary is `append`). */
export type AppliedStrategy = 'append' | 'reset' | 'reset_with_summary';

/** What {@link applyNodeMessages} did. */
export interface AppliedMessages {
  /** The persona message now in the context (the same object as before when unchanged). */
  readonly persona: LLMMessage | undefined;
  /** The messages the node put in: a new persona, the summary, the task messages. */
  readonly injected: LLMMessage[];
}

/**
 * Put a node's messages into `context` with `strategy`. The persona (role message) is one
 * system message the flow owns, found by identity: `append` swaps it in place when the node
 * sets a new one (or puts it first when the context has none), `reset` keeps it first.
 *
 * @param persona the persona message the flow put into the context earlier, if any.
 * @param summary the summary for `reset_with_summary`.
 */
export function applyNodeMessages(
  context: LLMContext,
  node: FlowNode,
  persona: LLMMessage | undefined,
  strategy: AppliedStrategy,
  summary?: string,
): AppliedMessages {
  const task = node.taskMessages.map(toMessage);
  const role = node.roleMessage;
  const nextPersona: LLMMessage | undefined =
    role === undefined || (persona?.role === 'system' && persona.content === role)
      ? persona
      : { role: 'system', content: role };

  if (strategy !== 'append') {
    const summaryMessage: LLMMessage[] =
      strategy === 'reset_with_summary' && summary !== undefined
        ? [{ role: 'system', content: `Summary of the conversation so far:\n${summary}` }]
        : [];
    const messages = [...(nextPersona ? [nextPersona] : []), ...summaryMessage, ...task];
    context.replace(messages);
    return { persona: nextPersona, injected: messages };
  }

  if (nextPersona === persona) {
    context.add(...task);
    return { persona, injected: task };
  }
  const messages = [...context.messages];
  const at = persona ? messages.indexOf(persona) : -1;
  if (at >= 0) messages[at] = nextPersona!;
  else messages.unshift(nextPersona!);
  context.replace([...messages, ...task]);
  return { persona: nextPersona, injected: [nextPersona!, ...task] };
}

function toMessage(m: string | LLMMessage): LLMMessage {
  return typeof m === 'string' ? { role: 'system', content: m } : m;
}
