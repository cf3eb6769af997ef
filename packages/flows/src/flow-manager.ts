import {
  type Clock,
  type Frame,
  type FunctionHandler,
  FunctionResult,
  frame,
  type LLMContext,
  type LLMMessage,
  type LLMService,
  systemClock,
  type ToolDefinition,
} from '@parley/pipeline';
import { type ActionHost, runActions } from './actions.ts';
import { type CallGroup, CallGroups, type PendingTransition } from './call-groups.ts';
import { type AppliedStrategy, applyNodeMessages } from './context-update.ts';
import { FlowError } from './errors.ts';
import { SpeechTracker } from './speech-tracker.ts';
import { type SummaryOutcome, summarise } from './summary.ts';
import { FlowTransition } from './transition.ts';
import type {
  ContextStrategy,
  FlowActionHandler,
  FlowEvent,
  FlowFunction,
  FlowNode,
  Summariser,
} from './types.ts';

/** Options of a {@link FlowManager}. */
export interface FlowManagerOptions {
  /** The call's LLM service, already in its pipeline. The manager registers the flow's functions on it. */
  readonly llm: LLMService;
  /** The call's context, shared with the user and assistant aggregators. The flow owns its `tools`. */
  readonly context: LLMContext;
  /** Functions callable in every node (a node's function of the same name wins). */
  readonly globalFunctions?: readonly FlowFunction[];
  /** Context strategy of nodes that set none. Default `append`. */
  readonly contextStrategy?: ContextStrategy;
  /** Makes summaries for `reset_with_summary`; without one such nodes fall back to `append`. */
  readonly summariser?: Summariser;
  /** Longest wait for a summary, ms, on {@link clock}. Default 5000. */
  readonly summaryTimeoutMs?: number;
  /** Handlers of custom action types, by type. */
  readonly actions?: Readonly<Record<string, FlowActionHandler>>;
  /** Initial shared state (the object is used as is). Default `{}`. */
  readonly state?: Record<string, unknown>;
  /** Clock of the summary time limit (a `VirtualClock` in tests). Default the system clock. */
  readonly clock?: Clock;
}

/** How a node is entered: from a function call inside the LLM's response, after it, or from outside. */
type EntryMode = 'inline' | 'late' | 'queued';

/**
 * Runs a flow on one call's {@link LLMService}: installs itself on the service (its function
 * registry, its input queue and output), so it works with every LLM service and needs no place
 * of its own in the pipeline.
 *
 * Entering a node: the node's messages go into the shared context by its context strategy, the
 * persona stays first, the LLM's tools become exactly the global and node functions (other tools
 * are unregistered, so a call to another node's function gets the pipeline's "unknown function"
 * error result), then pre-actions, the LLM run (`respondImmediately`), and post-actions once
 * that run's response ended.
 *
 * Transitions: a function returning {@link goTo} moves the flow when every call of the same LLM
 * response has ended (result, cancel or timeout), with its result in the context. The node is
 * entered at that moment, synchronously, so the LLM's follow-up run, which the pipeline makes
 * after each call group, is the new node's first response. Flow functions are not cancelled by
 * an interruption by default; if one is (or its group was interrupted), the transition still
 * lands when the handler returns, and the caller's next turn is answered in the new node.
 *
 * @example
 * const flow = new FlowManager({ llm, context });
 * await flow.initialize(greetingNode()); // after the pipeline started
 */
export class FlowManager {
  /** State shared by the flow's handlers across nodes. */
  readonly state: Record<string, unknown>;
  private readonly llm: LLMService;
  private readonly context: LLMContext;
  private readonly globals: readonly FlowFunction[];
  private readonly defaultStrategy: ContextStrategy;
  private readonly summariser: Summariser | undefined;
  private readonly summaryTimeoutMs: number;
  private readonly clock: Clock;
  private readonly actionHandlers = new Map<string, FlowActionHandler>();
  private readonly listeners = new Set<(e: FlowEvent) => void>();
  private readonly groups = new CallGroups();
  private readonly speech = new SpeechTracker();
  private readonly subs: Array<{ unsubscribe(): void }>;
  private readonly host: ActionHost;
  private readonly registered = new Set<string>();
  private current: FlowNode | undefined;
  private initialized = false;
  private persona: LLMMessage | undefined;
  private responsesStarted = 0;
  private responseOpen = false;
  private postActions: { readonly node: FlowNode; readonly afterResponse: number } | undefined;

  /** @throws RangeError when `summaryTimeoutMs` is not a positive number. */
  constructor(options: FlowManagerOptions) {
    this.llm = options.llm;
    this.context = options.context;
    this.globals = options.globalFunctions ?? [];
    this.defaultStrategy = options.contextStrategy ?? { strategy: 'append' };
    this.summariser = options.summariser;
    this.summaryTimeoutMs = options.summaryTimeoutMs ?? 5000;
    if (!(this.summaryTimeoutMs > 0)) throw new RangeError('summaryTimeoutMs must be > 0');
    this.clock = options.clock ?? systemClock;
    this.state = options.state ?? {};
    for (const [type, handler] of Object.entries(options.actions ?? {})) this.registerAction(type, handler);
    this.host = {
      flow: this,
      emit: (f, inline) => this.emit(f, inline),
      endTask: (reason) => this.llm.push(frame('end_task', { reason }), 'upstream'),
      speechPlayed: () => this.speech.played(),
      handlerFor: (type) => this.actionHandlers.get(type),
      reportError: (e) => this.reportError(e),
    };
    this.subs = [
      this.llm.downstream$.subscribe((f) => this.onDownstream(f)),
      this.llm.upstream$.subscribe((f) => {
        if (f.type === 'bot_stopped_speaking') this.speech.settled();
      }),
    ];
  }

  /** The node the flow is in (undefined before {@link initialize}). */
  get currentNode(): FlowNode | undefined {
    return this.current;
  }

  /** Listen to the flow's events; returns a function that stops listening. */
  on(listener: (event: FlowEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Register (or replace) the handler of custom action type `type`. */
  registerAction(type: string, handler: FlowActionHandler): void {
    this.actionHandlers.set(type, handler);
  }

  /**
   * Enter the first node. Waits for the LLM service to have started (call it once the pipeline
   * runs, e.g. right after `task.run()`).
   * @throws FlowError when called twice, when the service has stopped, or for a node without task messages.
   */
  async initialize(node: FlowNode): Promise<void> {
    if (this.initialized) throw new FlowError('the flow is initialized already');
    this.initialized = true;
    await this.started();
    await this.enterQueued(node);
  }

  /**
   * Move to `node` from outside a function call (an event, a timer). Call it between turns: the
   * node's messages go into the context at once, its pre-actions and LLM run queue behind what the
   * LLM service is doing.
   * @throws FlowError before {@link initialize}, or for a node without task messages.
   */
  async setNode(node: FlowNode): Promise<void> {
    if (!this.initialized) throw new FlowError('set a node after initialize');
    await this.enterQueued(node);
  }

  /** Stop following the LLM service and unregister the flow's functions. */
  dispose(): void {
    for (const s of this.subs) s.unsubscribe();
    for (const name of this.registered) this.llm.unregisterFunction(name);
    this.registered.clear();
    this.speech.settled();
  }

  private started(): Promise<void> {
    if (this.llm.isRunning) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const sub = this.llm.downstream$.subscribe((f) => {
        if (f.type === 'start') resolve();
        else if (f.type === 'end' || f.type === 'stop' || f.type === 'cancel') {
          reject(new FlowError('the LLM service stopped before the flow started'));
        } else return;
        sub.unsubscribe();
      });
    });
  }

  private async enterQueued(node: FlowNode): Promise<void> {
    checkNode(node);
    const summary = needsSummary(this.strategyOf(node)) ? await this.summaryFor(node) : undefined;
    const pre = await runActions(node.preActions ?? [], node.name, this.host, false);
    this.enter(node, undefined, summary, 'queued');
    if (pre === 'ended') return;
    if (node.respondImmediately ?? true) {
      this.llm.queueFrame(frame('llm_context', { context: this.context }), 'downstream');
    }
  }

  /** Puts the node in place: context, tools, events; pre-actions for function transitions; arms post-actions. */
  private enter(
    node: FlowNode,
    functionName: string | undefined,
    summary: SummaryOutcome | undefined,
    mode: EntryMode,
  ): void {
    const requested = this.strategyOf(node);
    let applied: AppliedStrategy = requested.strategy;
    let summaryText: string | undefined;
    let summaryError: string | undefined;
    if (requested.strategy === 'reset_with_summary') {
      if (summary && 'summary' in summary) summaryText = summary.summary;
      else {
        applied = 'append';
        summaryError = summary?.error ?? 'the summary was not ready';
      }
    }
    const { persona, injected } = applyNodeMessages(this.context, node, this.persona, applied, summaryText);
    this.persona = persona;
    const tools = this.setTools(node);
    const from = this.current?.name;
    this.current = node;

    this.report({ type: 'node_transition', from, to: node.name, functionName });
    this.report({
      type: 'context_injected',
      node: node.name,
      strategy: applied,
      requested: requested.strategy,
      messages: injected,
      tools: tools.map((t) => t.name),
      ...(summaryError === undefined ? {} : { summaryError }),
    });
    this.report({
      type: 'node_entered',
      node: node.name,
      respondImmediately: node.respondImmediately ?? true,
    });

    // Inline: the pipeline's follow-up run (part of the response now open) is the node's first
    // response, unless the node waits for the caller (its transition's result skipped that run).
    const answersNow = mode === 'inline' && (node.respondImmediately ?? true);
    const afterResponse = answersNow ? this.responsesStarted : this.responsesStarted + 1;
    this.postActions = node.postActions?.length ? { node, afterResponse } : undefined;
    if (mode !== 'queued' && node.preActions?.length) {
      const actions = node.preActions;
      // Off the frame callback we are in, but before the follow-up run's first text.
      queueMicrotask(() => void runActions(actions, node.name, this.host, mode === 'inline'));
    }
  }

  private strategyOf(node: FlowNode): ContextStrategy {
    return node.contextStrategy ?? this.defaultStrategy;
  }

  /** Offer exactly the global and node functions, and register their handlers. */
  private setTools(node: FlowNode): ToolDefinition[] {
    const functions = new Map<string, FlowFunction>();
    for (const f of [...this.globals, ...(node.functions ?? [])]) functions.set(f.name, f);
    for (const name of this.registered) {
      if (!functions.has(name)) {
        this.llm.unregisterFunction(name);
        this.registered.delete(name);
      }
    }
    for (const f of functions.values()) {
      this.llm.registerFunction(f.name, this.wrap(f), {
        ...(f.timeoutMs === undefined ? {} : { timeoutMs: f.timeoutMs }),
        cancelOnInterruption: f.cancelOnInterruption ?? false,
      });
      this.registered.add(f.name);
    }
    const tools = [...functions.values()].map(
      (f): ToolDefinition => ({
        name: f.name,
        description: f.description,
        parameters: f.parameters ?? { type: 'object', properties: {} },
      }),
    );
    this.context.tools = tools;
    return tools;
  }

  private wrap(f: FlowFunction): FunctionHandler {
    return async (args, call) => {
      const value: unknown = await f.handler(args, {
        flow: this,
        toolCallId: call.toolCallId,
        functionName: call.functionName,
        signal: call.signal,
        llmContext: call.llmContext,
      });
      if (!(value instanceof FlowTransition)) return value;
      const pending: PendingTransition = { next: value.next, functionName: f.name, summary: undefined };
      const group = this.groups.groupOf(call.toolCallId);
      if (!group) {
        // The call was cancelled (interruption, timeout) and its group has settled: land it anyway.
        await this.landLate(pending);
        return value.result;
      }
      if (group.transition) return value.result; // the first transition of a response wins
      checkNode(pending.next);
      group.transition = pending;
      if (needsSummary(this.strategyOf(pending.next))) {
        pending.summary = await this.summaryFor(pending.next, call.signal);
      }
      // A node that waits for the caller: the group's follow-up run must not answer.
      if (pending.next.respondImmediately === false)
        return new FunctionResult(value.result, { runLlm: false });
      return value.result;
    };
  }

  private async landLate(pending: PendingTransition): Promise<void> {
    checkNode(pending.next);
    const summary = needsSummary(this.strategyOf(pending.next))
      ? await this.summaryFor(pending.next)
      : undefined;
    this.enter(pending.next, pending.functionName, summary, 'late');
  }

  private summaryFor(node: FlowNode, signal?: AbortSignal): Promise<SummaryOutcome> {
    const strategy = this.strategyOf(node);
    const prompt = strategy.strategy === 'reset_with_summary' ? strategy.summaryPrompt : '';
    return summarise(
      this.summariser,
      { messages: this.context.snapshot(), prompt },
      this.clock,
      this.summaryTimeoutMs,
      signal,
    );
  }

  private onDownstream(f: Frame): void {
    switch (f.type) {
      case 'llm_response_start':
        this.responsesStarted++;
        this.responseOpen = true;
        break;
      case 'llm_response_end':
        this.responseOpen = false;
        this.runPostActions();
        break;
      case 'llm_text':
      case 'tts_speak':
        this.speech.queued();
        break;
      case 'function_calls_started':
        this.groups.started(
          f.calls.map((c) => c.id),
          this.responseOpen,
        );
        break;
      case 'function_call_result':
      case 'function_call_cancel': {
        const settled = this.groups.ended(f.toolCallId);
        if (settled?.transition) this.land(settled);
        break;
      }
      case 'interruption':
        this.responseOpen = false;
        this.groups.interrupted();
        this.speech.settled();
        break;
      case 'end':
      case 'stop':
      case 'cancel':
        this.speech.settled();
        break;
    }
  }

  /** A group settled with a transition: enter its node now, before the LLM's follow-up run. */
  private land(group: CallGroup): void {
    const t = group.transition!;
    try {
      this.enter(t.next, t.functionName, t.summary, group.inline ? 'inline' : 'late');
    } catch (e) {
      this.reportError(e);
    }
  }

  private runPostActions(): void {
    const post = this.postActions;
    if (!post || this.responsesStarted < post.afterResponse) return;
    this.postActions = undefined;
    void runActions(post.node.postActions ?? [], post.node.name, this.host, false);
  }

  private emit(f: Frame, inline: boolean): void {
    if (f.type === 'tts_speak') this.speech.queued();
    if (inline) this.llm.push(f);
    else this.llm.queueFrame(f, 'downstream');
  }

  private reportError(error: unknown): void {
    const message = error instanceof Error ? error.message : String(error);
    this.llm.push(frame('error', { message, fatal: false, source: 'FlowManager', cause: error }), 'upstream');
  }

  private report(event: FlowEvent): void {
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch {
        // a listener must not break the call
      }
    }
  }
}

function needsSummary(strategy: ContextStrategy): boolean {
  return strategy.strategy === 'reset_with_summary';
}

/** @throws FlowError for a node the LLM could not be told anything by. */
function checkNode(node: FlowNode): void {
  if (node.taskMessages.length === 0) throw new FlowError(`node ${node.name} has no task messages`);
}
