import type { LLMContext, LLMMessage } from '@parley/pipeline';
import type { FlowManager } from './flow-manager.ts';

/**
 * How a node's messages go into the LLM context when the flow enters it:
 * - `append` (default): the conversation so far is kept; the task messages are added at its end;
 * - `reset`: the conversation is dropped; the context becomes the role message and the node's
 *   task messages;
 * - `reset_with_summary`: like `reset`, with a summary of the conversation so far (made by the
 *   manager's {@link Summariser} with `summaryPrompt`) between them. When the summary fails or
 *   takes longer than the manager's `summaryTimeoutMs`, the node is entered with `append`.
 */
export type ContextStrategy =
  | { readonly strategy: 'append' }
  | { readonly strategy: 'reset' }
  | { readonly strategy: 'reset_with_summary'; readonly summaryPrompt: string };

/** The name of a {@link ContextStrategy}. */
export type ContextStrategyName = ContextStrategy['strategy'];

/**
 * Makes a summary of a conversation for `reset_with_summary`: typically one completion of
 * `messages` followed by a system message holding `prompt`, with the call's LLM (or a cheaper
 * one). Must stop when `signal` aborts (the manager aborts it at its time limit).
 * Resolves with the summary text; a rejection or an empty text makes the node fall back to `append`.
 */
export type Summariser = (request: {
  /** The conversation so far (a copy). */
  readonly messages: readonly LLMMessage[];
  /** What to summarise and how (the node's `summaryPrompt`). */
  readonly prompt: string;
  readonly signal: AbortSignal;
}) => Promise<string>;

/** What a flow function's handler receives besides its arguments. */
export interface FlowFunctionContext {
  /** The manager running the flow: its shared {@link FlowManager.state}, current node, … */
  readonly flow: FlowManager;
  /** Id of the call (the provider's `tool_call_id`). */
  readonly toolCallId: string;
  /** Name of the function the LLM called. */
  readonly functionName: string;
  /**
   * Aborted when the call is cancelled: its time limit passed (`TimeoutError`), the pipeline
   * stopped, or, for functions with `cancelOnInterruption`, the caller interrupted (`AbortError`).
   */
  readonly signal: AbortSignal;
  /** The call's LLM context. */
  readonly llmContext: LLMContext;
}

/**
 * Runs a flow function. What it returns:
 * - a {@link FlowTransition} (made with {@link goTo}): its `result` becomes the tool result and
 *   the flow moves to its node once every call of the same LLM response has ended;
 * - anything else: the tool result (a string as it is, anything else as JSON); the flow stays
 *   and the LLM answers with it.
 *
 * A throw gives the LLM the pipeline's generic failure text (the message is not shown to the
 * model) and the task an `error` frame; the flow stays.
 */
export type FlowFunctionHandler = (
  args: Readonly<Record<string, unknown>>,
  context: FlowFunctionContext,
) => unknown;

/** A function (tool) the LLM may call in a node, or in every node when global. */
export interface FlowFunction {
  /** Tool name the LLM calls (`^[a-zA-Z0-9_-]{1,64}$` for the common providers). */
  readonly name: string;
  /** What it does and when to call it; the model reads this. */
  readonly description: string;
  /** JSON Schema of the arguments object. Default: an object without properties. */
  readonly parameters?: Readonly<Record<string, unknown>>;
  readonly handler: FlowFunctionHandler;
  /** Time limit of one call, ms (`Infinity` for none). Default: the LLM service's. */
  readonly timeoutMs?: number;
  /**
   * Whether the caller barging in cancels the call. Default false, so that a transition is never
   * lost to an interruption (a cancelled call's transition still lands if its handler returns one).
   */
  readonly cancelOnInterruption?: boolean;
}

/** Runs a custom action (or a `function` action); the list waits for it to settle. */
export type FlowActionHandler = (action: FlowAction, flow: FlowManager) => void | Promise<void>;

/** Speak `text` with the call's TTS (the output transport puts what was heard in the context). */
export interface TtsSayAction {
  readonly type: 'tts_say';
  readonly text: string;
}

/**
 * End the call gracefully after what is already queued has been said: speaks `text` first
 * when given, then asks the task to end (`end_task` upstream, so the `end` frame drains the
 * pipeline behind the goodbye). Actions after it in the list do not run.
 */
export interface EndConversationAction {
  readonly type: 'end_conversation';
  readonly text?: string;
  /** The task's end reason. Default `flow_ended_conversation`. */
  readonly reason?: string;
}

/** Run `handler` once the speech queued before it has been played (see the README on ordering). */
export interface FunctionAction {
  readonly type: 'function';
  readonly handler: FlowActionHandler;
}

/** An action handled by a handler registered under its `type` ({@link FlowManager.registerAction}). */
export interface CustomAction {
  readonly type: string;
  readonly [key: string]: unknown;
}

/** A pre- or post-action of a node. */
export type FlowAction = TtsSayAction | EndConversationAction | FunctionAction | CustomAction;

/** One step of a conversation: what the LLM is told, what it may call, what happens around it. */
export interface FlowNode {
  /** Identifies the node in events and logs (the definition's node `key`). */
  readonly name: string;
  /**
   * The persona, a system message kept first in the context and across nodes (also across
   * `reset`) until a node sets another.
   */
  readonly roleMessage?: string;
  /** The node's instructions; a string is a `system` message. At least one. */
  readonly taskMessages: readonly (string | LLMMessage)[];
  /** Functions the LLM may call in this node (besides the global ones). */
  readonly functions?: readonly FlowFunction[];
  /** Run when the node is entered, before its messages reach the LLM. */
  readonly preActions?: readonly FlowAction[];
  /** Run after the node's first LLM response has ended (queued behind that response). */
  readonly postActions?: readonly FlowAction[];
  /** How the node's messages go into the context. Default: the manager's (`append`). */
  readonly contextStrategy?: ContextStrategy;
  /**
   * Whether the LLM answers as soon as the node is entered (default true); when false it waits for
   * the caller's next turn (entered through a function call, the call's result skips the LLM's
   * follow-up run: `FunctionResult` with `runLlm: false`).
   */
  readonly respondImmediately?: boolean;
}

/** What the flow reports, for call events (the server records them). */
export type FlowEvent =
  | {
      readonly type: 'node_entered';
      readonly node: string;
      readonly respondImmediately: boolean;
    }
  | {
      readonly type: 'node_transition';
      /** The node left (undefined for the first node). */
      readonly from: string | undefined;
      readonly to: string;
      /** The function whose result moved the flow; undefined for {@link FlowManager.setNode}. */
      readonly functionName: string | undefined;
    }
  | {
      readonly type: 'context_injected';
      readonly node: string;
      /** The strategy applied (`append` when a summary failed). */
      readonly strategy: ContextStrategyName;
      /** The strategy the node asked for. */
      readonly requested: ContextStrategyName;
      /** The messages the node put into the context (role, summary, task messages). */
      readonly messages: readonly LLMMessage[];
      /** Names of the tools offered to the LLM from now on. */
      readonly tools: readonly string[];
      /** Why the summary is missing, when `reset_with_summary` fell back to `append`. */
      readonly summaryError?: string;
    };
