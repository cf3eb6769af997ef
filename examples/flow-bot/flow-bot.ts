/**
 * Flow bot: a table-booking conversation as a flow (./booking-flow.ts), in text mode: type a
 * line, read the reply. Three nodes, built in code: `greet` collects the party size and time,
 * `confirm` reads them back, `goodbye` thanks the caller and ends the session. `opening_hours`
 * is a global function, callable from every node.
 *
 *   OPENAI_API_KEY=sk-… npm run example:flow
 *   OPENAI_BASE_URL=http://127.0.0.1:11434/v1 npm run example:flow   # e.g. Ollama, with a tool-calling model
 */
import { createInterface } from 'node:readline/promises';
import { type FlowEvent, FlowManager } from '@parley/flows';
import { frame, LLMContext, PipelineTask, type TaskResult, UserContextAggregator } from '@parley/pipeline';
import { OpenAILLMService, type OpenAILLMServiceOptions } from '@parley/services';
import { greetNode, openingHours } from './booking-flow.ts';
import { TextOutput } from './text-output.ts';

/** Options of {@link startFlowBot}. */
export interface FlowBotOptions {
  /** LLM settings (default: `OPENAI_API_KEY`, `OPENAI_BASE_URL`, gpt-4o-mini). */
  readonly llm?: OpenAILLMServiceOptions;
  /** Sees each line the bot says: `reply` from the LLM, `say` from a flow action. */
  readonly onLine?: (line: string, kind: 'reply' | 'say') => void;
  /** Sees the flow's events (node entered, transitions, context changes). */
  readonly onFlowEvent?: (event: FlowEvent) => void;
}

/** A running text-mode session. */
export interface FlowBot {
  /** Send one line from the caller. */
  say(text: string): void;
  /** The next LLM reply (replies are kept in order until read); `undefined` once the session ended. */
  reply(): Promise<string | undefined>;
  /** Every line the bot said, in order. */
  readonly transcript: readonly string[];
  readonly flow: FlowManager;
  /** Resolves when the session is over (the flow's `end_conversation`, or {@link close}). */
  readonly ended: Promise<TaskResult>;
  /** End the session after what is under way. */
  close(): Promise<TaskResult>;
}

/** Start a session; the flow greets the caller at once. */
export async function startFlowBot(options: FlowBotOptions = {}): Promise<FlowBot> {
  const context = new LLMContext();
  const llm = new OpenAILLMService({ model: 'gpt-4o-mini', ...options.llm });
  const transcript: string[] = [];
  const replies: string[] = [];
  const readers: Array<(reply: string | undefined) => void> = [];
  const output = new TextOutput(context, (line, kind) => {
    if (line) transcript.push(line);
    options.onLine?.(line, kind);
    if (kind !== 'reply') return;
    const reader = readers.shift();
    if (reader) reader(line);
    else replies.push(line);
  });
  const task = new PipelineTask([new UserContextAggregator(context), llm, output]);
  const flow = new FlowManager({ llm, context, globalFunctions: [openingHours] });
  if (options.onFlowEvent) flow.on(options.onFlowEvent);
  const ended = task.run();
  void ended.then(() => {
    for (const reader of readers.splice(0)) reader(undefined);
  });
  await flow.initialize(greetNode());

  return {
    say: (text) => task.queueFrame(frame('transcription', { text })), // a typed line is a final transcript
    reply: () => {
      const next = replies.shift();
      if (next !== undefined) return Promise.resolve(next);
      return new Promise((resolve) => readers.push(resolve));
    },
    transcript,
    flow,
    ended,
    close: () => {
      task.end('closed');
      return ended;
    },
  };
}

if (import.meta.filename === process.argv[1]) {
  const bot = await startFlowBot({
    onLine: (line) => line && console.log(`bot> ${line}`),
    onFlowEvent: (e) => e.type === 'node_entered' && console.log(`  (node: ${e.node})`),
  });
  const rl = createInterface({ input: process.stdin, output: process.stdout });
  void bot.ended.then((r) => {
    console.log(`(session ended: ${r.reason})`);
    rl.close();
  });
  await bot.reply(); // the greeting
  rl.setPrompt('you> ');
  rl.prompt();
  for await (const line of rl) {
    if (line.trim()) {
      bot.say(line);
      if ((await bot.reply()) === undefined) break;
    }
    rl.prompt();
  }
  await bot.close();
}
