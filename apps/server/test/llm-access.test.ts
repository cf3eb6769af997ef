/**
 * Which key an agent's LLM requests carry and where they may go, through the production
 * service factory against fake OpenAI servers on loopback.
 */
import { randomBytes } from 'node:crypto';
import { frame, LLMContext, ProcessorHarness } from '@parley/pipeline';
import { LLMConfigurationError, type OpenAILLMService } from '@parley/services';
import { FakeOpenAIServer } from '@parley/services/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type EngineStatus, fixedEngines } from '../src/calls/engines.ts';
import { defaultServiceFactory } from '../src/calls/services.ts';
import { type AgentConfigInput, parseAgentConfig } from '../src/config/agent-config.ts';
import { loadServerConfig } from '../src/config/server-config.ts';
import { CredentialStore } from '../src/credentials/store.ts';
import type { Database } from '../src/db/database.ts';
import { SecretBox } from '../src/security/secret-box.ts';
import { openTestDatabase } from './helpers/db.ts';

const ENGINES: EngineStatus = { stt: { ok: false, reason: 'not needed here' }, tts: { ok: true } };
const ENV_KEY = 'sk-env-server-key-0001';

let database: Database;
let credentials: CredentialStore;
/** The operator's LLM (`OPENAI_BASE_URL`) and one an agent points at. */
let operatorLlm: FakeOpenAIServer;
let agentLlm: FakeOpenAIServer;
let harness: ProcessorHarness<OpenAILLMService> | undefined;

beforeAll(async () => {
  database = await openTestDatabase();
  credentials = new CredentialStore(database.db, new SecretBox(randomBytes(32)));
  [operatorLlm, agentLlm] = await Promise.all([FakeOpenAIServer.start(), FakeOpenAIServer.start()]);
}, 60_000);
afterAll(async () => {
  await Promise.all([operatorLlm?.close(), agentLlm?.close()]);
  await database?.close();
});
afterEach(() => {
  harness?.send(frame('cancel', { reason: 'test over' }));
  harness?.dispose();
  harness = undefined;
});

/** Starts the LLM the production factory builds for `llm` under `env`, and asks it one thing. */
async function ask(env: Record<string, string>, llm: Partial<AgentConfigInput['llm']>) {
  const config = loadServerConfig({ LOG_LEVEL: 'warn', ...env });
  const agent = parseAgentConfig({
    prompt: 'Be brief.',
    stt: { provider: 'fake' },
    tts: { provider: 'fake' },
    llm: { provider: 'openai', ...llm },
  });
  const services = await defaultServiceFactory(config, fixedEngines(ENGINES), credentials)(agent);
  harness = new ProcessorHarness(services.llm as OpenAILLMService);
  await harness.start();
  harness.send(frame('llm_context', { context: new LLMContext([{ role: 'user', content: 'Hello?' }]) }));
  return harness;
}

describe("the server's OPENAI_API_KEY", () => {
  const env = { OPENAI_API_KEY: ENV_KEY, OPENAI_BASE_URL: '', EGRESS_ALLOW: '127.0.0.1/8' };

  it('goes to OPENAI_BASE_URL, which the operator set', async () => {
    const h = await ask({ ...env, OPENAI_BASE_URL: operatorLlm.url }, {});
    await h.waitFor('llm_response_end', { timeoutMs: 15_000 });
    expect(operatorLlm.authorizations.at(-1)).toBe(`Bearer ${ENV_KEY}`);
  });

  it("is not sent to an agent's own base URL", async () => {
    const before = agentLlm.authorizations.length;
    const h = await ask({ ...env, OPENAI_BASE_URL: operatorLlm.url }, { baseUrl: agentLlm.url });
    await h.waitFor('llm_response_end', { timeoutMs: 15_000 });
    const seen = agentLlm.authorizations.slice(before);
    expect(seen).toHaveLength(1);
    expect(seen.join(' ')).not.toContain(ENV_KEY);
  });
});

describe("an agent's credential", () => {
  beforeAll(async () => {
    await credentials.create({
      name: 'agent-llm',
      kind: 'openai',
      value: { apiKey: 'sk-agent-credential' },
      destination: agentLlm.url,
    });
    await credentials.create({
      name: 'openai-only',
      kind: 'openai',
      value: { apiKey: 'sk-for-openai-only' },
      destination: 'https://api.openai.com',
    });
  });

  it('goes to the origin it is bound to', async () => {
    const h = await ask({ EGRESS_ALLOW: '127.0.0.1/8' }, { baseUrl: agentLlm.url, credential: 'agent-llm' });
    await h.waitFor('llm_response_end', { timeoutMs: 15_000 });
    expect(agentLlm.authorizations.at(-1)).toBe('Bearer sk-agent-credential');
  });

  it('is not sent anywhere else, even when the agent was stored behind the API’s back', async () => {
    const before = agentLlm.authorizations.length;
    const h = await ask(
      { EGRESS_ALLOW: '127.0.0.1/8' },
      { baseUrl: agentLlm.url, credential: 'openai-only' },
    );
    const error = await h.waitFor('error', { side: 'upstream', timeoutMs: 15_000 });
    expect(error.cause).toBeInstanceOf(LLMConfigurationError);
    expect(error.message).toContain('may only be sent to https://api.openai.com');
    expect(agentLlm.authorizations.length).toBe(before);
  });
});

describe('an LLM base URL at a non-public address', () => {
  it('is refused when connecting, though a hostname hides it, and no connection is made', async () => {
    const port = new URL(agentLlm.url).port;
    const connections = agentLlm.connections;
    const h = await ask({}, { baseUrl: `http://localhost:${port}/v1` });
    const error = await h.waitFor('error', { side: 'upstream', timeoutMs: 20_000 });
    expect(error.cause).toBeInstanceOf(LLMConfigurationError);
    expect(error.message).toMatch(/localhost resolves to (127\.0\.0\.1|::1), a loopback address/);
    expect(error.message).toContain('EGRESS_ALLOW');
    expect(agentLlm.connections).toBe(connections);
  }, 30_000);

  it('is reached when EGRESS_ALLOW allows it', async () => {
    const port = new URL(agentLlm.url).port;
    const h = await ask({ EGRESS_ALLOW: `localhost:${port}` }, { baseUrl: `http://localhost:${port}/v1` });
    await h.waitFor('llm_response_end', { timeoutMs: 15_000 });
  });
});
