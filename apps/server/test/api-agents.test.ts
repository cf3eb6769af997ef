import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AgentConfigInput } from '../src/config/agent-config.ts';
import { AgentRepository } from '../src/db/agents.ts';
import type { Database } from '../src/db/database.ts';
import { apiAgentsRoutes, MASKED_SECRET } from '../src/routes/api-agents.ts';
import { installErrorHandling } from '../src/routes/errors.ts';
import { openTestDatabase } from './helpers/db.ts';

const SECRET = 'sk-test-do-not-leak-4242';

function config(llm: Partial<AgentConfigInput['llm']> = {}): AgentConfigInput {
  return {
    prompt: 'You are helpful.',
    stt: { provider: 'fake' },
    tts: { provider: 'fake' },
    llm: { provider: 'openai', model: 'gpt-4o-mini', ...llm },
  };
}

interface AgentBody {
  id: string;
  name: string;
  config: { prompt: string; language: string; llm: { apiKey?: string; model: string } };
  createdAt: string;
  updatedAt: string;
}

let database: Database;
let agents: AgentRepository;
let app: FastifyInstance;

beforeAll(async () => {
  database = await openTestDatabase();
  agents = new AgentRepository(database.db);
  await agents.upsert({ id: 'keyed', name: 'Keyed', config: config({ apiKey: SECRET }) });
  await agents.upsert({ id: 'plain', name: 'Plain', config: config() });
  app = Fastify({ logger: false });
  installErrorHandling(app);
  await app.register(apiAgentsRoutes({ agents }));
  await app.ready();
});

afterAll(async () => {
  await app?.close();
  await database?.close();
});

function put(id: string, payload: unknown) {
  return app.inject({ method: 'PUT', url: `/api/agents/${id}`, payload: payload as object });
}

describe('GET /api/agents', () => {
  it('lists agents by id with the API key masked', async () => {
    const response = await app.inject({ url: '/api/agents' });
    expect(response.statusCode).toBe(200);
    expect(response.body).not.toContain(SECRET);
    const { agents: listed } = response.json<{ agents: AgentBody[] }>();
    const ids = listed.map((a) => a.id);
    expect(ids).toEqual([...ids].sort());
    const keyed = listed.find((a) => a.id === 'keyed');
    const plain = listed.find((a) => a.id === 'plain');
    expect(keyed?.config.llm.apiKey).toBe(MASKED_SECRET);
    expect(plain?.config.llm).not.toHaveProperty('apiKey');
    expect(keyed?.config.language).toBe('en-US'); // defaults applied
  });

  it('returns one agent with its key masked, and 404 JSON for an unknown one', async () => {
    const response = await app.inject({ url: '/api/agents/keyed' });
    expect(response.statusCode).toBe(200);
    expect(response.body).not.toContain(SECRET);
    expect(response.json<AgentBody>()).toMatchObject({
      id: 'keyed',
      name: 'Keyed',
      config: { llm: { apiKey: '***' } },
    });

    const unknown = await app.inject({ url: '/api/agents/nobody' });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json()).toMatchObject({ error: { code: 'agent_not_found' } });
  });
});

describe('PUT /api/agents/:id', () => {
  it('keeps the stored key when the masked value is sent back', async () => {
    const current = (await app.inject({ url: '/api/agents/keyed' })).json<AgentBody>();
    const response = await put('keyed', {
      name: 'Keyed, renamed',
      config: { ...current.config, prompt: 'You are very helpful.' },
    });
    expect(response.statusCode).toBe(200);
    expect(response.body).not.toContain(SECRET);
    expect(response.json<AgentBody>()).toMatchObject({
      name: 'Keyed, renamed',
      config: { prompt: 'You are very helpful.', llm: { apiKey: MASKED_SECRET } },
    });
    const stored = await agents.get('keyed');
    expect(stored?.config.llm.apiKey).toBe(SECRET);
    expect(stored?.config.prompt).toBe('You are very helpful.');
  });

  it('replaces the key when a new one is sent, and removes it when it is left out', async () => {
    await agents.upsert({ id: 'rotated', name: 'Rotated', config: config({ apiKey: SECRET }) });
    const replaced = await put('rotated', { name: 'Rotated', config: config({ apiKey: 'sk-new-key' }) });
    expect(replaced.statusCode).toBe(200);
    expect(replaced.body).not.toContain('sk-new-key');
    expect((await agents.get('rotated'))?.config.llm.apiKey).toBe('sk-new-key');

    const removed = await put('rotated', { name: 'Rotated', config: config() });
    expect(removed.statusCode).toBe(200);
    expect((await agents.get('rotated'))?.config.llm).not.toHaveProperty('apiKey');
  });

  it('creates an agent with 201; a masked key on a new agent stores no key', async () => {
    const response = await put('fresh', { name: 'Fresh', config: config({ apiKey: MASKED_SECRET }) });
    expect(response.statusCode).toBe(201);
    expect(response.json<AgentBody>()).toMatchObject({ id: 'fresh', name: 'Fresh' });
    const stored = await agents.get('fresh');
    expect(stored?.config.llm).not.toHaveProperty('apiKey');
  });

  it('answers 400 listing every problem of an invalid configuration, and stores nothing', async () => {
    const response = await put('keyed', {
      name: 'Broken',
      config: { ...config({ temperature: 5 }), stt: { provider: 'whisper' }, colour: 'blue' },
    });
    expect(response.statusCode).toBe(400);
    const body = response.json<{ error: { code: string; issues: string[] } }>();
    expect(body.error.code).toBe('invalid_agent');
    expect(body.error.issues.some((i) => i.startsWith('llm.temperature:'))).toBe(true);
    expect(body.error.issues.some((i) => i.startsWith('stt.provider:'))).toBe(true);
    expect(body.error.issues.some((i) => i.includes('colour'))).toBe(true);
    expect((await agents.get('keyed'))?.name).toBe('Keyed, renamed');
  });

  it('answers 400 invalid_body when name or config is missing', async () => {
    for (const payload of [{ config: config() }, { name: '', config: config() }, { name: 'x' }, ['x']]) {
      const response = await put('keyed', payload);
      expect(response.statusCode, JSON.stringify(payload)).toBe(400);
      expect(response.json()).toMatchObject({ error: { code: 'invalid_body' } });
    }
  });

  it('answers 400 invalid_agent for an id that is not a slug', async () => {
    const response = await put('Not_A_Slug', { name: 'Bad', config: config() });
    expect(response.statusCode).toBe(400);
    expect(response.json<{ error: { code: string; issues: string[] } }>().error).toMatchObject({
      code: 'invalid_agent',
      issues: [expect.stringMatching(/^id:/)],
    });
  });

  it('answers 400 invalid_json for a malformed JSON body', async () => {
    const response = await app.inject({
      method: 'PUT',
      url: '/api/agents/keyed',
      headers: { 'content-type': 'application/json' },
      payload: '{"name": "Keyed", "config": ',
    });
    expect(response.statusCode).toBe(400);
    expect(response.json()).toMatchObject({ error: { code: 'invalid_json' } });
  });
});
