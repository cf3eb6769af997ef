import {
  frame,
  type LLMChunk,
  LLMContext,
  type LLMMessage,
  LLMService,
  type LLMServiceOptions,
  ProcessorHarness,
  type ToolDefinition,
  VirtualClock,
} from '@parley/pipeline';
import { FlowManager, type FlowManagerOptions } from '../src/index.ts';

/** An LLM that answers each run with the next scripted list of chunks ("Done." when the script is used up). */
export class ScriptedLLM extends LLMService {
  /** The messages each run was given, in order. */
  readonly runs: LLMMessage[][] = [];
  /** The tool names each run was offered, in order. */
  readonly tools: string[][] = [];

  constructor(
    private readonly script: LLMChunk[][] = [],
    options?: LLMServiceOptions,
  ) {
    super('ScriptedLLM', options);
  }

  /** Add runs to the end of the script. */
  addRuns(...runs: LLMChunk[][]): void {
    this.script.push(...runs);
  }

  protected override async *streamCompletion(
    messages: LLMMessage[],
    tools: readonly ToolDefinition[],
    signal: AbortSignal,
  ): AsyncIterable<LLMChunk> {
    this.runs.push(messages);
    this.tools.push(tools.map((t) => t.name));
    const step = this.script.shift() ?? [{ type: 'text', text: 'Done.' }];
    for (const chunk of step) {
      await Promise.resolve();
      if (signal.aborted) return;
      yield chunk;
    }
  }
}

export const text = (t: string): LLMChunk => ({ type: 'text', text: t });

export function toolCall(id: string, name: string, args: Record<string, unknown> = {}): LLMChunk {
  return {
    type: 'tool_call',
    call: { id, type: 'function', function: { name, arguments: JSON.stringify(args) } },
  };
}

/** A promise with its resolve and reject outside. */
export function deferred<T>(): {
  promise: Promise<T>;
  resolve: (v: T) => void;
  reject: (e: unknown) => void;
} {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** One flow on a scripted LLM inside the pipeline harness, on a virtual clock. */
export interface FlowRig {
  readonly llm: ScriptedLLM;
  readonly h: ProcessorHarness<ScriptedLLM>;
  readonly clock: VirtualClock;
  readonly context: LLMContext;
  readonly flow: FlowManager;
  /** The caller says `text`: a user message and an LLM run, as the user aggregator does. */
  say(text: string): void;
  /** Let queued promise callbacks and timers due now run. */
  settle(): Promise<void>;
  stop(): void;
}

export async function startFlow(
  script: LLMChunk[][],
  options: Omit<FlowManagerOptions, 'llm' | 'context' | 'clock'> = {},
  llmOptions?: LLMServiceOptions,
): Promise<FlowRig> {
  const llm = new ScriptedLLM(script, llmOptions);
  const h = new ProcessorHarness(llm);
  const clock = new VirtualClock();
  const context = new LLMContext();
  const flow = new FlowManager({ llm, context, clock, ...options });
  await h.start({}, {}, clock);
  return {
    llm,
    h,
    clock,
    context,
    flow,
    say: (t) => {
      context.add({ role: 'user', content: t });
      h.send(frame('llm_context', { context }));
    },
    settle: () => clock.advance(0),
    stop: () => {
      h.send(frame('cancel', { reason: 'test over' }));
      flow.dispose();
      h.dispose();
    },
  };
}

/** Frame types pushed downstream, without metrics and the start frame. */
export function flowOf(h: ProcessorHarness): string[] {
  return h.types().filter((t) => t !== 'metrics' && t !== 'start');
}
