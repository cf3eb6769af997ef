// The example of packages/services/README.md (Claude): `npx tsx examples/snippets/anthropic-readme.ts`.
import { frame, LLMContext, ProcessorHarness } from '@parley/pipeline';
import { AnthropicLLMService } from '@parley/services';
import { FakeAnthropicServer } from '@parley/services/testing';

// A fake Messages API on 127.0.0.1. For the real API, drop it, `apiKey` and `baseUrl`
// (ANTHROPIC_API_KEY and ANTHROPIC_BASE_URL are read from the environment).
const claude = await FakeAnthropicServer.start();
claude.reply({ toolUses: [{ name: 'get_time' }] }, { text: 'It is noon.' });

const llm = new AnthropicLLMService({ apiKey: 'test', baseUrl: claude.url, model: 'claude-haiku-4-5' });
llm.registerFunction('get_time', () => ({ time: '12:00' }));

const h = new ProcessorHarness(llm);
await h.start();
const tools = [{ name: 'get_time', description: 'The current time.', parameters: { type: 'object' } }];
const context = new LLMContext(
  [
    { role: 'system', content: 'You answer phone calls. Be brief.' },
    { role: 'user', content: 'What time is it?' },
  ],
  tools,
);
h.send(frame('llm_context', { context }));
await h.waitFor('llm_response_end');
const said = h.ofType('llm_text').map((f) => f.text);
console.log(said.join('')); // It is noon.
console.log(claude.requests[1]?.messages.at(-1)); // the user turn with the tool_result block
h.send(frame('end', { reason: 'done' }));
await h.waitFor('end');
await claude.close();
