import { randomBytes } from 'node:crypto';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AgentConfigInput } from '../src/config/agent-config.ts';
import { CredentialStore } from '../src/credentials/store.ts';
import { AgentRepository } from '../src/db/agents.ts';
import type { Database } from '../src/db/database.ts';
import { apiAgentsRoutes, MASKED_SECRET } from '../src/routes/api-agents.ts';
import { installErrorHandling } from '../src/routes/errors.ts';
import { EgressPolicy } from '../src/security/egress.ts';
import { SecretBox } from '../src/security/secret-box.ts';
import { openTestDatabase } from './helpers/db.ts';

const SECRET = 'sk-test-do-not-leak-4242';
const OPENAI = 'https://api.openai.com';

function config(llm: Partial<AgentConfigInput['llm']> & { apiKey?: string } = {}): AgentConfigInput {
  return {
    prompt: 'You are helpful.',
    stt: { provider: 'fake' },
    tts: { provider: 'fake' },
    llm: { provider: 'openai', model: 'gpt-4o-mini', ...llm } as AgentConfigInput['llm'],
  };
}

interface AgentBody {
  id: string;
  name: string;
  config: {
    prompt: string;
    language: string;
    llm: { credential?: string; baseUrl?: string; model: string };
  };
  createdAt: string;
  updatedAt: string;
}

interface ErrorBody {
  error: { code: string; message: string; issues?: string[] };
}

let database: Database;
let agents: AgentRepository;
let credentials: CredentialStore;
let app: FastifyInstance;

beforeAll(async () => {
  database = await openTestDatabase();
  agents = new AgentRepository(database.db);
  credentials = new CredentialStore(database.db, new SecretBox(randomBytes(32)));
  await credentials.create({
    name: 'keyed-key',
    kind: 'openai',
    value: { apiKey: SECRET },
    destination: OPENAI,
  });
  await credentials.create({
    name: 'twilio-token',
    kind: 'twilio',
    value: { authToken: 'tw' },
    destination: 'https://api.twilio.com',
  });
  await agents.upsert({ id: 'keyed', name: 'Keyed', config: config({ credential: 'keyed-key' }) });
  await agents.upsert({ id: 'plain', name: 'Plain', config: config() });
  app = Fastify({ logger: false });
  installErrorHandling(app);
  await app.register(
    apiAgentsRoutes({
      agents,
      credentials,
      config: { vendorEnv: {} },
      egress: new EgressPolicy([]),
    }),
  );
  await app.ready();
});

afterAll(async () => {
  await app?.close();
  await database?.close();
});

function put(id: string, payload: unknown) {
  return app.inject({ method: 'PUT', url: `/api/agents/${id}`, payload: payload as object });
}

async function revealKey(name: string, destination = OPENAI): Promise<string> {
  return (await credentials.reveal(name, 'openai', destination, 'test')).apiKey;
}

describe('GET /api/agents', () => {
  it('lists agents by id, naming their credential and never holding a key', async () => {
    const response = await app.inject({ url: '/api/agents' });
    expect(response.statusCode).toBe(200);
    expect(response.body).not.toContain(SECRET);
    const { agents: listed } = response.json<{ agents: AgentBody[] }>();
    const ids = listed.map((a) => a.id);
    expect(ids).toEqual([...ids].sort());
    const keyed = listed.find((a) => a.id === 'keyed');
    const plain = listed.find((a) => a.id === 'plain');
    expect(keyed?.config.llm.credential).toBe('keyed-key');
    expect(keyed?.config.llm).not.toHaveProperty('apiKey');
    expect(plain?.config.llm).not.toHaveProperty('credential');
    expect(keyed?.config.language).toBe('en-US'); // defaults applied
  });

  it('returns one agent, and 404 JSON for an unknown one', async () => {
    const response = await app.inject({ url: '/api/agents/keyed' });
    expect(response.statusCode).toBe(200);
    expect(response.body).not.toContain(SECRET);
    expect(response.json<AgentBody>()).toMatchObject({
      id: 'keyed',
      name: 'Keyed',
      config: { llm: { credential: 'keyed-key' } },
    });

    const unknown = await app.inject({ url: '/api/agents/nobody' });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json()).toMatchObject({ error: { code: 'agent_not_found' } });
  });
});

describe('PUT /api/agents/:id', () => {
  it('keeps the credential when the agent is sent back as GET returned it', async () => {
    const current = (await app.inject({ url: '/api/agents/keyed' })).json<AgentBody>();
    const response = await put('keyed', {
      name: 'Keyed, renamed',
      config: { ...current.config, prompt: 'You are very helpful.' },
    });
    expect(response.statusCode).toBe(200);
    expect(response.json<AgentBody>()).toMatchObject({
      name: 'Keyed, renamed',
      config: { prompt: 'You are very helpful.', llm: { credential: 'keyed-key' } },
    });
    expect((await agents.get('keyed'))?.config.llm.credential).toBe('keyed-key');
    expect(await revealKey('keyed-key')).toBe(SECRET);
  });

  it('keeps the agent’s credential when an older client sends the masked key back', async () => {
    const response = await put('keyed', {
      name: 'Keyed, renamed',
      config: config({ apiKey: MASKED_SECRET }),
    });
    expect(response.statusCode).toBe(200);
    expect((await agents.get('keyed'))?.config.llm.credential).toBe('keyed-key');
  });

  it('stores an inline key in a credential bound to the LLM origin, never in the agent', async () => {
    const response = await put('inline', {
      name: 'Inline',
      config: config({ apiKey: 'sk-inline-777', baseUrl: 'https://llm.example.com/v1' }),
    });
    expect(response.statusCode).toBe(201);
    expect(response.body).not.toContain('sk-inline-777');
    expect(response.json<AgentBody>().config.llm.credential).toBe('agent-inline');
    const info = await credentials.info('agent-inline');
    expect(info).toMatchObject({ kind: 'openai', destination: 'https://llm.example.com' });
    expect(await revealKey('agent-inline', 'https://llm.example.com/v1')).toBe('sk-inline-777');
    const row = await database.db
      .selectFrom('agents')
      .select('config')
      .where('id', '=', 'inline')
      .executeTakeFirst();
    expect(JSON.stringify(row?.config)).not.toContain('sk-inline-777');
  });

  it('removes the reference when neither a credential nor a key is sent', async () => {
    await put('dropped', { name: 'Dropped', config: config({ apiKey: 'sk-dropped' }) });
    const removed = await put('dropped', { name: 'Dropped', config: config() });
    expect(removed.statusCode).toBe(200);
    expect((await agents.get('dropped'))?.config.llm).not.toHaveProperty('credential');
  });

  it('creates an agent with 201; a masked key on a new agent refers to no credential', async () => {
    const response = await put('fresh', { name: 'Fresh', config: config({ apiKey: MASKED_SECRET }) });
    expect(response.statusCode).toBe(201);
    expect(response.json<AgentBody>()).toMatchObject({ id: 'fresh', name: 'Fresh' });
    expect((await agents.get('fresh'))?.config.llm).not.toHaveProperty('credential');
  });

  it.each([
    ['the masked key', { apiKey: MASKED_SECRET }],
    ['the credential GET showed', { credential: 'keyed-key' }],
  ])(
    'refuses to send the stored key to a new llm.baseUrl given with %s (400 secret_required)',
    async (_, llm) => {
      const response = await put('keyed', {
        name: 'Keyed, hijacked',
        config: config({ ...llm, baseUrl: 'https://attacker.example/v1' }),
      });
      expect(response.statusCode).toBe(400);
      const { error } = response.json<ErrorBody>();
      expect(error.code).toBe('secret_required');
      expect(error.message).toContain('https://attacker.example');
      expect(error.message).toContain('give the secret again');
      const stored = await agents.get('keyed');
      expect(stored?.name).toBe('Keyed, renamed');
      expect(stored?.config.llm.baseUrl).toBeUndefined();
      expect((await credentials.info('keyed-key'))?.destination).toBe(OPENAI);
    },
  );

  it('moves a credential to a new base URL when the key is given again', async () => {
    await credentials.create({
      name: 'movable',
      kind: 'openai',
      value: { apiKey: 'sk-old' },
      destination: OPENAI,
    });
    await put('mover', { name: 'Mover', config: config({ credential: 'movable' }) });
    const response = await put('mover', {
      name: 'Mover',
      config: config({ credential: 'movable', apiKey: 'sk-new', baseUrl: 'https://other.example/v1' }),
    });
    expect(response.statusCode).toBe(200);
    expect((await credentials.info('movable'))?.destination).toBe('https://other.example');
    expect(await revealKey('movable', 'https://other.example')).toBe('sk-new');
    await expect(revealKey('movable', OPENAI)).rejects.toMatchObject({ code: 'secret_required' });
  });

  it('refuses a credential that does not exist or is not an OpenAI key', async () => {
    const missing = await put('keyed', { name: 'Keyed', config: config({ credential: 'nope' }) });
    expect(missing.statusCode).toBe(400);
    expect(missing.json<ErrorBody>().error.code).toBe('credential_not_found');
    const twilio = await put('keyed', { name: 'Keyed', config: config({ credential: 'twilio-token' }) });
    expect(twilio.statusCode).toBe(400);
    expect(twilio.json<ErrorBody>().error.code).toBe('credential_kind_mismatch');
    const inlineIntoTwilio = await put('keyed', {
      name: 'Keyed',
      config: config({ credential: 'twilio-token', apiKey: 'sk-x' }),
    });
    expect(inlineIntoTwilio.json<ErrorBody>().error.code).toBe('credential_kind_mismatch');
    expect((await agents.get('keyed'))?.config.llm.credential).toBe('keyed-key');
  });

  it.each([
    ['a private address', 'http://10.0.0.1/v1', 'private'],
    ['the cloud metadata address', 'http://169.254.169.254/latest', 'link-local'],
    ['loopback', 'http://127.0.0.1:11434/v1', 'loopback'],
    ['localhost', 'http://localhost:8080/v1', 'loopback'],
    ['IPv6 loopback', 'http://[::1]:8080/v1', 'loopback'],
    ['an IPv4-mapped IPv6 loopback', 'http://[::ffff:127.0.0.1]/v1', 'loopback'],
    ['loopback written as a number', 'http://2130706433/v1', 'loopback'],
    ['a carrier-grade NAT address', 'http://100.64.0.1/v1', 'carrier-grade NAT'],
    ['a scheme other than http(s)', 'file:///etc/passwd', 'llm.baseUrl'],
  ])('refuses an llm.baseUrl at %s with 400 invalid_agent, and stores nothing', async (_, baseUrl, words) => {
    const response = await put('ssrf', { name: 'SSRF', config: config({ baseUrl }) });
    expect(response.statusCode).toBe(400);
    const { error } = response.json<ErrorBody>();
    expect(error.code).toBe('invalid_agent');
    expect(error.issues?.some((i) => i.startsWith('llm.baseUrl') && i.includes(words))).toBe(true);
    expect(await agents.get('ssrf')).toBeUndefined();
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

  it('answers 400 invalid_agent for an id that is not a slug, storing no key for it', async () => {
    const response = await put('Not_A_Slug', { name: 'Bad', config: config({ apiKey: 'sk-bad' }) });
    expect(response.statusCode).toBe(400);
    expect(response.json<{ error: { code: string; issues: string[] } }>().error).toMatchObject({
      code: 'invalid_agent',
      issues: [expect.stringMatching(/^id:/)],
    });
    expect((await credentials.list()).map((c) => c.name)).not.toContain('agent-Not_A_Slug');
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

describe('PUT /api/agents/:id with each vendor', () => {
  /** A minimal configuration of every vendor of each kind, with an option of its own where it has one. */
  const VENDOR_SERVICES = {
    stt: [
      { provider: 'local' },
      { provider: 'deepgram', model: 'nova-3', keyterms: ['Parley'], endpointingMs: 300 },
      { provider: 'openai', model: 'gpt-4o-transcribe', noiseReduction: 'near_field' },
      { provider: 'elevenlabs', commitStrategy: 'vad' },
      { provider: 'sarvam' },
    ],
    llm: [
      { provider: 'openai', temperature: 0.3 },
      { provider: 'anthropic', model: 'claude-sonnet-4-5', maxTokens: 500 },
      { provider: 'google', thinkingBudget: 0 },
      { provider: 'xai', model: 'grok-4.20-non-reasoning' },
    ],
    tts: [
      { provider: 'local', voice: 'slt' },
      { provider: 'cartesia' },
      { provider: 'deepgram', model: 'aura-2-thalia-en', encoding: 'mulaw' },
      { provider: 'openai', voice: 'coral', instructions: 'Warm and brief.' },
      { provider: 'elevenlabs', voice: 'voice-1', voiceSettings: { stability: 0.4 } },
      { provider: 'sarvam' },
    ],
  } as const;

  it('accepts every vendor of every kind, with defaults filled in', async () => {
    for (const kind of ['stt', 'llm', 'tts'] as const) {
      for (const service of VENDOR_SERVICES[kind]) {
        const response = await put(`v-${kind}-${service.provider}`, {
          name: 'Vendor',
          config: { ...config(), [kind]: service },
        });
        expect(response.statusCode, `${kind} ${service.provider}: ${response.body}`).toBe(201);
        expect(response.json<{ config: Record<string, unknown> }>().config[kind]).toMatchObject(service);
      }
    }
    const claude = await put('v-llm-anthropic', {
      name: 'Vendor',
      config: { ...config(), llm: { provider: 'anthropic' } },
    });
    expect(claude.json<AgentBody>().config.llm.model).toBe('claude-haiku-4-5');
  });

  it('refuses bad vendor configurations with one readable issue each', async () => {
    const response = await put('bad-vendors', {
      name: 'Bad',
      config: {
        ...config(),
        stt: { provider: 'whisper' },
        tts: { provider: 'cartesia', speed: 'fast', colour: 'blue' },
        llm: { provider: 'google', temperature: 3 },
        failover: { llm: [{ provider: 'anthropic', maxTokens: 0 }], tts: [] },
      },
    });
    expect(response.statusCode).toBe(400);
    const { issues } = response.json<ErrorBody>().error;
    expect(issues).toEqual(
      expect.arrayContaining([
        expect.stringMatching(
          /^stt\.provider: unknown provider; one of "local", "deepgram", .*"sarvam", "fake"$/,
        ),
        expect.stringMatching(/^tts: Unrecognized key: "colour"$/),
        expect.stringMatching(/^tts\.speed: /),
        expect.stringMatching(/^llm\.temperature: Too big/),
        expect.stringMatching(/^failover\.llm\.0\.maxTokens: Too small/),
        expect.stringMatching(/^failover\.tts: Too small/),
      ]),
    );
    expect(await agents.get('bad-vendors')).toBeUndefined();
  });

  it("stores an inline key of any service in a credential of its vendor's kind", async () => {
    const response = await put('dg-inline', {
      name: 'Deepgram',
      config: {
        ...config(),
        stt: { provider: 'deepgram', apiKey: 'dg-secret-1' },
        failover: { tts: [{ provider: 'elevenlabs', apiKey: 'el-secret-2' }] },
      },
    });
    expect(response.statusCode).toBe(201);
    expect(response.body).not.toContain('secret');
    const body = response.json<{
      config: { stt: { credential: string }; failover: { tts: [{ credential: string }] } };
    }>();
    expect(body.config.stt.credential).toBe('agent-dg-inline-stt');
    expect(body.config.failover.tts[0].credential).toBe('agent-dg-inline-failover-tts-0');
    expect(await credentials.info('agent-dg-inline-stt')).toMatchObject({
      kind: 'deepgram',
      destination: 'https://api.deepgram.com',
    });
    const el = await credentials.reveal(
      'agent-dg-inline-failover-tts-0',
      'elevenlabs',
      'https://api.elevenlabs.io',
      't',
    );
    expect(el.apiKey).toBe('el-secret-2');
  });

  it('refuses a key for a service that takes none, and a credential of another vendor', async () => {
    const local = await put('local-key', {
      name: 'Local',
      config: { ...config(), tts: { provider: 'local', apiKey: 'nope' } },
    });
    expect(local.statusCode).toBe(400);
    expect(local.json<ErrorBody>().error.issues).toEqual(['tts: local takes no API key or credential']);
    const wrongKind = await put('wrong-kind', {
      name: 'Wrong',
      config: { ...config(), stt: { provider: 'deepgram', credential: 'keyed-key' } },
    });
    expect(wrongKind.statusCode).toBe(400);
    expect(wrongKind.json<ErrorBody>().error.code).toBe('credential_kind_mismatch');
  });

  it('refuses a non-public base URL on any service', async () => {
    const response = await put('private-stt', {
      name: 'Private',
      config: { ...config(), failover: { stt: [{ provider: 'deepgram', baseUrl: 'http://10.0.0.5:8080' }] } },
    });
    expect(response.statusCode).toBe(400);
    expect(response.json<ErrorBody>().error.issues).toEqual([
      expect.stringMatching(/^failover\.stt\.0\.baseUrl: 10\.0\.0\.5 is a private address; .*EGRESS_ALLOW/),
    ]);
  });
});
