/**
 * Runs an agent's stored flow on a call: the flow version pinned when the call started, made
 * runnable by `@parley/flows` and driven by a `FlowManager` on the call's LLM service.
 */
import {
  compileFlow,
  type FlowActionDefinition,
  type FlowDefinition,
  type FlowEvent,
  type FlowFunction,
  FlowManager,
  flowDefinitionSchema,
  llmSummariser,
} from '@parley/flows';
import type { LLMContext, LLMService } from '@parley/pipeline';
import type { FlowVersion } from '../db/flow-versions.ts';
import { renderTemplate } from './template.ts';
import type { CallTool } from './tools/call-tools.ts';

/** What {@link startCallFlow} needs from the call. */
export interface CallFlowOptions {
  /** The flow version the call pinned. */
  readonly version: FlowVersion;
  /** The call's LLM service, in its pipeline. */
  readonly llm: LLMService;
  /** The call's context, shared with its aggregators; the flow replaces its messages. */
  readonly context: LLMContext;
  /** The agent's prompt, rendered: the persona when the flow's initial node sets no role message. */
  readonly agentPrompt: string;
  /** The call's context variables, for `{{name}}` in the flow's messages and spoken texts. */
  readonly vars: Readonly<Record<string, string>>;
  /** Stores one call event (the session's event recorder). */
  readonly record: (type: FlowEvent['type'], data: Record<string, unknown>) => void;
  /** The tools nodes name in `toolIds`, by tool id (built for the call; see `tools/call-tools.ts`). */
  readonly nodeTools?: ReadonlyMap<string, CallTool>;
}

/**
 * Starts the flow: compiles the version's definition (the server registers no function handlers
 * or custom actions, so functions transition to their `target` and answer
 * `{"status":"acknowledged"}`), renders `{{name}}` in role and task messages and in `tts_say` /
 * `end_conversation` texts, makes the agent's prompt the initial node's role message when it has
 * none, and enters the initial node once the pipeline runs. `reset_with_summary` summaries are
 * made by the call's LLM (`llmSummariser`). Each flow event is recorded as a call event with its
 * data: `node_transition` (`from` (null for the first node), `to`, `functionName` (null when
 * not moved by a function)), `context_injected` (`node`, `strategy`, `requested`, `messages`,
 * `tools`, `summaryError?`) and `node_entered` (`node`, `respondImmediately`).
 *
 * Nodes' `toolIds` become functions of those nodes only (the flow engine scopes them): the
 * tools in `nodeTools`; an id missing there (deleted since publishing, or failed to set up) is
 * left out.
 *
 * @returns the manager; dispose it when the call ends.
 * @throws FlowValidationError when the stored definition no longer compiles, or a node's tool
 *   has the name of one of the node's functions or a global one; FlowError when the
 *   LLM service stopped before the flow started.
 */
export async function startCallFlow(options: CallFlowOptions): Promise<FlowManager> {
  const definition = rendered(flowDefinitionSchema.parse(options.version.definition), options);
  // Added after the stored flow is validated: a tool's schema was checked when it was written
  // (webhook tools) or is its server's (MCP tools, which may use a dialect Ajv cannot check).
  const nodeFunctions = Object.fromEntries(
    definition.nodes.map((n) => [
      n.key,
      (n.toolIds ?? []).flatMap((id) => {
        const tool = options.nodeTools?.get(id);
        return tool ? [toolFunction(tool)] : [];
      }),
    ]),
  );
  const flow = compileFlow(definition, { nodeFunctions });
  const manager = new FlowManager({
    llm: options.llm,
    context: options.context,
    globalFunctions: flow.globalFunctions,
    summariser: llmSummariser(options.llm),
  });
  manager.on((event) => options.record(event.type, eventData(event)));
  // The flow owns the context from here: its persona replaces the agent's prompt message.
  options.context.replace([]);
  await manager.initialize(flow.initial);
  return manager;
}

/** The definition with the call's variables filled in and the agent's prompt as default persona. */
function rendered(definition: FlowDefinition, options: CallFlowOptions): FlowDefinition {
  const fill = (text: string) => renderTemplate(text, options.vars);
  const action = (a: FlowActionDefinition): FlowActionDefinition =>
    a.text === undefined ? a : { ...a, text: fill(a.text) };
  return {
    ...definition,
    nodes: definition.nodes.map((n) => {
      const role = n.roleMessage !== undefined ? fill(n.roleMessage) : n.initial ? options.agentPrompt : '';
      return {
        ...n,
        ...(role.trim() ? { roleMessage: role } : {}),
        taskMessages: n.taskMessages.map(fill),
        ...(n.preActions ? { preActions: n.preActions.map(action) } : {}),
        ...(n.postActions ? { postActions: n.postActions.map(action) } : {}),
      };
    }),
  };
}

/** A node's tool as a flow function answering in place (no transition). */
function toolFunction(tool: CallTool): FlowFunction {
  const { name, description, parameters } = tool.definition;
  const timeoutMs = tool.options.timeoutMs;
  return {
    name,
    description,
    parameters: { ...parameters },
    ...(timeoutMs !== undefined && Number.isFinite(timeoutMs) ? { timeoutMs } : {}),
    handler: (args, context) =>
      tool.handler(args, {
        toolCallId: context.toolCallId,
        functionName: context.functionName,
        signal: context.signal,
        llmContext: context.llmContext,
      }),
  };
}

function eventData(event: FlowEvent): Record<string, unknown> {
  switch (event.type) {
    case 'node_transition':
      return { from: event.from ?? null, to: event.to, functionName: event.functionName ?? null };
    case 'node_entered':
      return { node: event.node, respondImmediately: event.respondImmediately };
    case 'context_injected': {
      const { type: _type, ...data } = event;
      return data;
    }
  }
}
