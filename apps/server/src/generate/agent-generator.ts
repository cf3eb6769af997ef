/**
 * Generated agents: a plain-language description becomes an agent configuration (prompt,
 * greeting, language, variables) and a flow, written by an LLM as the arguments of one
 * function call (structured output through function calling, which every LLM service
 * supports), validated by the same schemas as hand-written agents and flows. An invalid
 * answer is sent back once with its issues to be repaired; a second invalid one is refused.
 */
import { type FlowDefinition, flowDefinitionSchema } from '@parley/flows';
import type { LLMMessage, LLMService, LLMToolCall, ToolDefinition } from '@parley/pipeline';
import { z } from 'zod';
import {
  type AgentConfig,
  AgentConfigError,
  DEMO_AGENT,
  formatIssues,
  parseAgentConfig,
} from '../config/agent-config.ts';
import { contextVariablesSchema } from '../context/variables.ts';
import { checkStoredFlow, errorsOf, issueLine } from '../flows/flow-check.ts';

/** What the LLM writes: the part of an agent a description decides, and its flow. */
export const generatedAgentSchema = z.strictObject({
  /** A display name. */
  name: z.string().trim().min(1).max(200),
  /** The system prompt (persona and rules); `{{var}}` placeholders for the variables. */
  prompt: z.string().trim().min(1).max(20_000),
  /** The first sentence the agent says. */
  greeting: z.string().trim().min(1).max(1000).optional(),
  /** BCP 47 language tag. */
  language: z.string().min(2).max(35),
  /** Variables the prompt and greeting use. */
  variables: contextVariablesSchema.optional(),
  /** The conversation's steps, when it has several. */
  flow: flowDefinitionSchema.optional(),
});

/** A generated agent, validated: its name, full configuration and flow (a draft, if any). */
export interface GeneratedAgent {
  readonly name: string;
  readonly config: AgentConfig;
  readonly flow?: FlowDefinition;
  /** The first answer was invalid and the LLM repaired it. */
  readonly repaired: boolean;
}

/** The LLM's answers stayed invalid after one repair; `issues` lists why (`path: problem`). */
export class AgentGenerationError extends Error {
  override readonly name = 'AgentGenerationError';

  constructor(readonly issues: readonly string[]) {
    super(`The generated agent is invalid: ${issues.join('; ')}`);
  }
}

const SAVE_AGENT = 'save_agent';

/** The function the LLM calls with the agent; its parameters are {@link generatedAgentSchema}'s JSON Schema. */
export function saveAgentTool(): ToolDefinition {
  const { $schema: _, ...parameters } = z.toJSONSchema(generatedAgentSchema, {
    io: 'input',
    unrepresentable: 'any',
  }) as Record<string, unknown>;
  return {
    name: SAVE_AGENT,
    description: 'Save the voice agent you designed.',
    parameters,
  };
}

const INSTRUCTIONS =
  'You design voice agents that answer or place phone calls. From the description, write the agent ' +
  `and call ${SAVE_AGENT} once with it: a name; a prompt (persona, goal, rules; replies are spoken, so ` +
  'short sentences of plain speech, no lists or markdown); a greeting; a BCP 47 language; variables ' +
  '(name, type string|number|boolean, required, default, description) for facts each call brings, ' +
  'used as {{name}} in the prompt or greeting; and, when the conversation has distinct steps, a flow: ' +
  'nodes with a unique key, one node initial: true, taskMessages, functions whose target is the key ' +
  'of the next node, a terminal node ending with postActions [{ "type": "end_conversation" }]. ' +
  'Do not use function handlers or actions of type "function".';

/** Services of a generated agent: the demo agent's (local speech, the server's OpenAI model). */
const SERVICES = { stt: DEMO_AGENT.config.stt, tts: DEMO_AGENT.config.tts, llm: DEMO_AGENT.config.llm };

/**
 * Asks `llm` for an agent fitting `description`, and once more with the issues when the
 * answer is invalid.
 * @throws {@link AgentGenerationError} when the repaired answer is still invalid.
 * @throws what {@link LLMService.stream} throws when the LLM fails.
 */
export async function generateAgent(
  llm: LLMService,
  description: string,
  signal: AbortSignal,
): Promise<GeneratedAgent> {
  const messages: LLMMessage[] = [
    { role: 'system', content: INSTRUCTIONS },
    { role: 'user', content: description },
  ];
  const tools = [saveAgentTool()];
  for (let attempt = 1; ; attempt++) {
    const answer = await ask(llm, messages, tools, signal);
    const checked = check(answer.arguments);
    if (checked.agent) return { ...checked.agent, repaired: attempt > 1 };
    if (attempt === 2) throw new AgentGenerationError(checked.issues);
    // Repair: the LLM sees its call and why it was refused, and calls again.
    const feedback = `The agent is invalid:\n${checked.issues.join('\n')}\nCall ${SAVE_AGENT} again with every issue fixed.`;
    if (answer.call) {
      messages.push({ role: 'assistant', content: null, tool_calls: [answer.call] });
      messages.push({ role: 'tool', tool_call_id: answer.call.id, content: feedback });
    } else {
      messages.push({ role: 'assistant', content: answer.arguments });
      messages.push({ role: 'user', content: feedback });
    }
  }
}

/** One completion: the `save_agent` call's arguments, else the text (a model that answered JSON in words). */
async function ask(
  llm: LLMService,
  messages: LLMMessage[],
  tools: ToolDefinition[],
  signal: AbortSignal,
): Promise<{ arguments: string; call?: LLMToolCall }> {
  let text = '';
  for await (const chunk of llm.stream([...messages], tools, signal)) {
    if (chunk.type === 'tool_call' && chunk.call.function.name === SAVE_AGENT)
      return { arguments: chunk.call.function.arguments, call: chunk.call };
    if (chunk.type === 'text') text += chunk.text;
  }
  return { arguments: text };
}

/** The agent in `json`, or every issue: JSON, the generated shape, the whole configuration, the flow. */
function check(json: string): { agent?: Omit<GeneratedAgent, 'repaired'>; issues: string[] } {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    return { issues: [`(root): not JSON: ${json.slice(0, 200)}`] };
  }
  const parsed = generatedAgentSchema.safeParse(value);
  if (!parsed.success) return { issues: formatIssues(parsed.error.issues) };
  const { name, flow, ...fields } = parsed.data;
  let config: AgentConfig;
  try {
    config = parseAgentConfig({ ...fields, ...SERVICES });
  } catch (error) {
    if (error instanceof AgentConfigError) return { issues: [...error.issues] };
    throw error;
  }
  if (flow) {
    const errors = errorsOf(checkStoredFlow(flow, 'any'));
    if (errors.length > 0) return { issues: errors.map((e) => `flow.${issueLine(e)}`) };
  }
  return { agent: { name, config, ...(flow ? { flow } : {}) }, issues: [] };
}
