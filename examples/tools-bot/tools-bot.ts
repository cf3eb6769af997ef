/**
 * Tools bot: a bot whose LLM calls functions, `get_weather(city)` and `end_call()`, in text mode
 * (type a line, read the reply), so it needs no audio. It is a voice bot's pipeline without
 * VAD, STT, TTS and transports: the quickest way to try a prompt and its tools.
 *
 *   OPENAI_API_KEY=sk-… npm run example:tools
 *   OPENAI_BASE_URL=http://127.0.0.1:11434/v1 npm run example:tools   # e.g. Ollama, with a tool-calling model
 *
 * Say "bye" and the model calls `end_call`: the bot says goodbye and the session ends.
 */
import { createInterface } from 'node:readline/promises';
import { frame, LLMContext, PipelineTask, type TaskResult, UserContextAggregator } from '@parley/pipeline';
import {
  LLMConfigurationError,
  LLMRequestError,
  OpenAILLMService,
  type OpenAILLMServiceOptions,
} from '@parley/services';
import { TextOutput } from './text-output.ts';
import { madeUpWeather, registerTools, TOOLS, type WeatherLookup } from './tools.ts';

/** Options of {@link startToolsBot}. */
export interface ToolsBotOptions {
  /** LLM settings (default: `OPENAI_API_KEY`, `OPENAI_BASE_URL`, gpt-4o-mini). */
  readonly llm?: OpenAILLMServiceOptions;
  /** The weather lookup. Default: made-up weather. */
  readonly getWeather?: WeatherLookup;
}

/** A running text-mode session. */
export interface ToolsBot {
  /**
   * Send one line from the user. Resolves with the bot's reply, or `undefined` when the session
   * ended first; rejects with `LLMConfigurationError` / `LLMRequestError` when the LLM failed.
   */
  say(text: string): Promise<string | undefined>;
  /** Resolves when the session is over (`end_call`, or {@link close}). */
  readonly ended: Promise<TaskResult>;
  /** End the session after what is under way. */
  close(): Promise<TaskResult>;
}

/** Start a session. @throws LLMConfigurationError without an API key or base URL. */
export function startToolsBot(options: ToolsBotOptions = {}): ToolsBot {
  const context = new LLMContext(
    [{ role: 'system', content: 'You are a helpful assistant on a phone line. Keep answers short.' }],
    TOOLS, // what the model sees of the tools (./tools.ts)
  );
  const llm = new OpenAILLMService({ model: 'gpt-4o-mini', ...options.llm });
  registerTools(llm, options.getWeather); // what runs when the model calls them

  const replies: Array<{ resolve: (text: string) => void; reject: (e: Error) => void }> = [];
  const task = new PipelineTask([
    new UserContextAggregator(context), // the user's line → the LLM context
    llm, // context → reply, running tools on the way
    new TextOutput(context, (text) => replies.shift()?.resolve(text)),
  ]);
  task.errors$.subscribe((e) => {
    if (e.cause instanceof LLMConfigurationError || e.cause instanceof LLMRequestError)
      replies.shift()?.reject(e.cause);
  });
  const ended = task.run();

  return {
    say: (text) => {
      const reply = new Promise<string>((resolve, reject) => replies.push({ resolve, reject }));
      task.queueFrame(frame('transcription', { text })); // text mode: a typed line is a final transcript
      return Promise.race([reply, ended.then(() => undefined)]);
    },
    ended,
    close: () => {
      task.end('closed');
      return ended;
    },
  };
}

if (import.meta.filename === process.argv[1]) {
  const bot = startToolsBot({
    getWeather: (city, signal) => {
      console.log(`  (get_weather: ${city})`);
      return madeUpWeather(city, signal);
    },
  });
  const rl = createInterface({ input: process.stdin, output: process.stdout });
  let over = false;
  void bot.ended.then(() => {
    over = true;
    rl.close();
  });
  rl.setPrompt('you> ');
  rl.prompt();
  for await (const line of rl) {
    if (line.trim()) {
      const reply = await bot.say(line).catch((e: Error) => `(error: ${e.message})`);
      if (reply !== undefined) console.log(`bot> ${reply}`);
    }
    if (!over) rl.prompt();
  }
  console.log(`(session ended: ${(await bot.close()).reason})`);
}
