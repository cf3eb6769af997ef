// The example of packages/services/README.md: `npx tsx examples/snippets/services-readme.ts`.
import { frame, LLMContext, Pipeline, ProcessorHarness, SentenceAggregator } from '@parley/pipeline';
import { LocalTTSService, OpenAILLMService } from '@parley/services';
import { FakeOpenAIServer } from '@parley/services/testing';

// A fake OpenAI-compatible server on 127.0.0.1. For the real API, drop it and `apiKey`/`baseUrl`
// (OPENAI_API_KEY and OPENAI_BASE_URL are read from the environment).
const fakeLlm = await FakeOpenAIServer.start();
fakeLlm.reply(
  { toolCalls: [{ name: 'get_time' }] }, // the model calls the tool first…
  { text: 'It is noon. Anything else?' }, // …then answers with its result
);

const llm = new OpenAILLMService({ apiKey: 'test', baseUrl: fakeLlm.url, model: 'gpt-4o-mini' });
llm.registerFunction('get_time', () => ({ time: '12:00' }));
const tts = new LocalTTSService(); // Flite, 16-bit mono PCM at 8000 Hz

const h = new ProcessorHarness(new Pipeline([llm, new SentenceAggregator(), tts]));
await h.start(); // 8000 Hz in and out
const tools = [{ name: 'get_time', description: 'The current time.', parameters: { type: 'object' } }];
const context = new LLMContext([{ role: 'user', content: 'What time is it?' }], tools);
h.send(frame('llm_context', { context }));
await h.waitFor('tts_stopped', { count: 2 }); // one per sentence

const said = h.ofType('tts_started').map((f) => f.text);
const samples = h.ofType('output_audio').reduce((n, f) => n + f.audio.length, 0);
console.log(`said ${JSON.stringify(said)} in ${(samples / 8000).toFixed(1)} s of audio`);
console.log(context.messages.map((m) => m.role)); // [ 'user', 'assistant', 'tool' ]: the tool call and its result
h.send(frame('end', { reason: 'done' }));
await h.waitFor('end');
await fakeLlm.close();
