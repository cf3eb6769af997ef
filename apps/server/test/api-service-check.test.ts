import { FakeDeepgramServer, FakeOpenAIServer } from '@parley/services/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiKeyHeaders } from './helpers/auth.ts';
import { noServices } from './helpers/no-services.ts';
import { startTestServer, type TestServer } from './helpers/server.ts';

const OPENAI_KEY = 'sk-right-openai-key';
const DEEPGRAM_KEY = 'dg-right-key';

describe("checking an agent's services with their vendors", () => {
  let server: TestServer;
  let openai: FakeOpenAIServer;
  let deepgram: FakeDeepgramServer;
  let viewer: { authorization: string };
  let editor: { authorization: string };

  const post = (path: string, headers: { authorization: string }, body?: unknown) =>
    server.parley.app.inject({
      method: 'POST',
      url: path,
      headers: { ...headers, 'content-type': 'application/json' },
      payload: JSON.stringify(body ?? {}),
    });

  beforeAll(async () => {
    [openai, deepgram] = await Promise.all([
      FakeOpenAIServer.start({ apiKey: OPENAI_KEY, models: ['gpt-4o-mini'] }),
      FakeDeepgramServer.start({ apiKey: DEEPGRAM_KEY }),
    ]);
    server = await startTestServer(() => noServices, { EGRESS_ALLOW: '127.0.0.1/32', LOG_LEVEL: 'silent' });
    viewer = await apiKeyHeaders(server.database, 'viewer');
    editor = await apiKeyHeaders(server.database, 'editor');
    await server.parley.credentials.put({
      name: 'openai-main',
      kind: 'openai',
      value: { apiKey: OPENAI_KEY },
      destination: openai.url,
    });
    await server.parley.credentials.put({
      name: 'dg-wrong',
      kind: 'deepgram',
      value: { apiKey: 'dg-wrong-key' },
      destination: deepgram.url.replace(/^ws/, 'http'),
    });
  }, 60_000);

  afterAll(async () => {
    await Promise.all([server?.close(), openai?.close(), deepgram?.close()]);
  });

  const agentConfig = (llmModel: string) => ({
    prompt: 'You check.',
    stt: { provider: 'deepgram', baseUrl: deepgram.url.replace(/^ws/, 'http'), credential: 'dg-wrong' },
    llm: { provider: 'openai', baseUrl: openai.url, credential: 'openai-main', model: llmModel },
    tts: { provider: 'sarvam', baseUrl: 'http://127.0.0.1:1', apiKey: 'sarvam-inline-key' },
    failover: { llm: [{ provider: 'openai', baseUrl: 'http://127.0.0.1:1', apiKey: 'sk-unreachable' }] },
  });

  it("answers each stored service's key and model check, without a key in the answer", async () => {
    await server.parley.agents.upsert({
      id: 'checked',
      name: 'checked',
      config: { ...agentConfig('gpt-9'), tts: { provider: 'local' }, failover: {} },
    });
    const res = await post('/api/agents/checked/services/check', editor);
    expect(res.statusCode, res.body).toBe(200);
    const { services } = res.json() as { services: Array<Record<string, unknown>> };
    expect(services.map((s) => [s.path, s.provider, s.ok, s.code])).toEqual([
      ['stt', 'deepgram', false, 'unauthorized'],
      ['llm', 'openai', false, 'unknown_model'],
      ['tts', 'local', expect.any(Boolean), expect.stringMatching(/^(ok|vendor_error)$/)],
    ]);
    expect(services[1]!.message).toBe('OpenAI has no model "gpt-9"');
    expect(res.body).not.toContain(OPENAI_KEY);
    expect(res.body).not.toContain('dg-wrong-key');
  });

  it('checks an unsaved configuration with its inline keys (used, not stored)', async () => {
    const res = await post('/api/agents/services/check', editor, { config: agentConfig('gpt-4o-mini') });
    expect(res.statusCode, res.body).toBe(200);
    const { services } = res.json() as { services: Array<Record<string, unknown>> };
    expect(services.map((s) => [s.path, s.ok, s.code])).toEqual([
      ['stt', false, 'unauthorized'],
      ['llm', true, 'ok'],
      ['tts', false, 'unreachable'],
      ['failover.llm.0', false, 'unreachable'],
    ]);
    expect(res.body).not.toContain('sk-unreachable');
    expect(res.body).not.toContain('sarvam-inline-key');
    expect(await server.parley.credentials.info('agent-undefined-tts')).toBeUndefined();
  });

  it('refuses an invalid configuration with readable issues, an unknown agent, and viewers', async () => {
    const invalid = await post('/api/agents/services/check', editor, {
      config: { llm: { provider: 'nope' } },
    });
    expect(invalid.statusCode).toBe(400);
    expect((invalid.json() as { error: { code: string; issues: string[] } }).error).toMatchObject({
      code: 'invalid_agent',
      issues: expect.arrayContaining([expect.stringMatching(/^llm\.provider: unknown provider/)]),
    });
    expect((await post('/api/agents/nobody/services/check', editor)).statusCode).toBe(404);
    expect((await post('/api/agents/checked/services/check', viewer)).statusCode).toBe(403);
    expect((await post('/api/agents/services/check', viewer, { config: agentConfig('x') })).statusCode).toBe(
      403,
    );
  });
});
