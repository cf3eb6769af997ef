/**
 * Which key an agent's vendor requests carry and where they may go, through the production
 * service factory against fake vendor servers on loopback.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type FrameProcessor, frame, LLMContext, ProcessorHarness } from '@parley/pipeline';
import type { DeepgramSTTService, OpenAILLMService } from '@parley/services';
import {
  FakeAnthropicServer,
  FakeCartesiaServer,
  FakeDeepgramServer,
  FakeOpenAIServer,
} from '@parley/services/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DisabledSTTService } from '../src/calls/disabled-stt.ts';
import { type EngineStatus, fixedEngines } from '../src/calls/engines.ts';
import { NoticeLLMService } from '../src/calls/notice-llm.ts';
import { defaultServiceFactory } from '../src/calls/services.ts';
import { type AgentConfigInput, parseAgentConfig } from '../src/config/agent-config.ts';
import { loadServerConfig } from '../src/config/server-config.ts';
import { CredentialStore } from '../src/credentials/store.ts';
import type { Database } from '../src/db/database.ts';
import { SecretBox } from '../src/security/secret-box.ts';
import { openTestDatabase } from './helpers/db.ts';

const ENGINES: EngineStatus = { stt: { ok: true }, tts: { ok: true } };
const ENV_KEY = 'sk-env-server-key-0001';

let database: Database;
let credentials: CredentialStore;
/** The operator's LLM (`OPENAI_BASE_URL`) and one an agent points at. */
let operatorLlm: FakeOpenAIServer;
let agentLlm: FakeOpenAIServer;
let harness: ProcessorHarness<FrameProcessor> | undefined;

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

/** The services the production factory builds under `env` for an agent with `services`. */
async function build(env: Record<string, string>, services: Partial<AgentConfigInput>, engines = ENGINES) {
  const config = loadServerConfig({ LOG_LEVEL: 'warn', ...env });
  const agent = parseAgentConfig({
    prompt: 'Be brief.',
    stt: { provider: 'fake' },
    tts: { provider: 'fake' },
    llm: { provider: 'openai' },
    ...services,
  });
  return defaultServiceFactory(config, fixedEngines(engines), credentials)(agent);
}

/** Starts the LLM the production factory builds for `llm` under `env`, and asks it one thing. */
async function ask(env: Record<string, string>, llm: Record<string, unknown>) {
  const services = await build(env, { llm: { provider: 'openai', ...llm } });
  expect(services.problems).toEqual([]);
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
    const before = agentLlm.connections;
    const services = await build(
      { EGRESS_ALLOW: '127.0.0.1/8' },
      { llm: { provider: 'openai', baseUrl: agentLlm.url, credential: 'openai-only' } },
    );
    expect(services.llm).toBeInstanceOf(NoticeLLMService);
    expect(services.problems).toHaveLength(1);
    expect(services.problems[0]!.spoken).toBe('The language model for this agent is not set up.');
    expect(services.problems[0]!.detail).toContain('may only be sent to https://api.openai.com');
    expect(agentLlm.connections).toBe(before);
  });
});

describe('an LLM base URL at a non-public address', () => {
  it('is refused, though a hostname hides it, and no connection is made', async () => {
    const port = new URL(agentLlm.url).port;
    const connections = agentLlm.connections;
    const services = await build({}, { llm: { provider: 'openai', baseUrl: `http://localhost:${port}/v1` } });
    expect(services.llm).toBeInstanceOf(NoticeLLMService);
    expect(services.problems[0]!.detail).toMatch(
      /localhost (is|resolves to (127\.0\.0\.1|::1),) a loopback address/,
    );
    expect(services.problems[0]!.detail).toContain('EGRESS_ALLOW');
    expect(agentLlm.connections).toBe(connections);
  }, 30_000);

  it('is reached when EGRESS_ALLOW allows it', async () => {
    const port = new URL(agentLlm.url).port;
    const h = await ask({ EGRESS_ALLOW: `localhost:${port}` }, { baseUrl: `http://localhost:${port}/v1` });
    await h.waitFor('llm_response_end', { timeoutMs: 15_000 });
  });
});

describe('a streaming STT vendor (Deepgram)', () => {
  /** An LLM key, so that the LLM is no problem here. */
  const LLM_ENV = { OPENAI_API_KEY: 'sk-unused' };
  let deepgram: FakeDeepgramServer;
  let stt: ProcessorHarness<DeepgramSTTService> | undefined;
  beforeAll(async () => {
    deepgram = await FakeDeepgramServer.start();
    await credentials.create({
      name: 'dg-fake',
      kind: 'deepgram',
      value: { apiKey: 'dg-agent-key' },
      destination: httpUrl(deepgram.url),
    });
  });
  afterAll(async () => {
    await deepgram?.close();
  });
  afterEach(() => {
    stt?.send(frame('cancel', { reason: 'test over' }));
    stt?.dispose();
    stt = undefined;
  });

  /** Starts the STT built for `service` and waits until the fake has its connection. */
  async function connect(env: Record<string, string>, service: Record<string, unknown>) {
    const before = deepgram.connections.length;
    const services = await build(
      { ...LLM_ENV, ...env },
      { language: 'en-GB', stt: { provider: 'deepgram', ...service } },
    );
    expect(services.problems).toEqual([]);
    stt = new ProcessorHarness(services.stt as DeepgramSTTService);
    await stt.start({ inputSampleRateHz: 8000 });
    await expect.poll(() => deepgram.connections.length, { timeout: 10_000 }).toBe(before + 1);
    return deepgram.connections.at(-1)!;
  }

  it("sends the server's DEEPGRAM_API_KEY to DEEPGRAM_BASE_URL, with the agent's model, language and rate", async () => {
    const connection = await connect(
      { DEEPGRAM_API_KEY: 'dg-env-key', DEEPGRAM_BASE_URL: httpUrl(deepgram.url) },
      { model: 'nova-3-phonecall', keyterms: ['Parley'] },
    );
    expect(connection.authorization).toBe('Token dg-env-key');
    expect(connection.query.get('model')).toBe('nova-3-phonecall');
    expect(connection.query.get('language')).toBe('en-GB');
    expect(connection.query.get('sample_rate')).toBe('8000');
    expect(connection.query.getAll('keyterm')).toEqual(['Parley']);
  });

  it("sends an agent's credential to the origin it is bound to", async () => {
    const connection = await connect(
      { EGRESS_ALLOW: '127.0.0.1/8' },
      { baseUrl: httpUrl(deepgram.url), credential: 'dg-fake' },
    );
    expect(connection.authorization).toBe('Token dg-agent-key');
  });

  it('without a key is a set-up problem, said once to the caller, and connects nowhere', async () => {
    const before = deepgram.connections.length;
    const services = await build(
      { ...LLM_ENV, DEEPGRAM_BASE_URL: httpUrl(deepgram.url) },
      { stt: { provider: 'deepgram' } },
    );
    expect(services.stt).toBeInstanceOf(DisabledSTTService);
    expect(services.problems).toEqual([
      {
        spoken: 'Speech recognition for this agent is not set up.',
        detail: expect.stringContaining('no Deepgram API key: set DEEPGRAM_API_KEY on the server'),
      },
    ]);
    expect(deepgram.connections.length).toBe(before);
  });

  it("does not send the server's key to an agent's own base URL", async () => {
    const services = await build(
      { ...LLM_ENV, DEEPGRAM_API_KEY: 'dg-env-key', EGRESS_ALLOW: '127.0.0.1/8' },
      { stt: { provider: 'deepgram', baseUrl: httpUrl(deepgram.url) } },
    );
    expect(services.stt).toBeInstanceOf(DisabledSTTService);
    expect(services.problems[0]!.detail).toContain('no Deepgram API key');
  });

  it('falls back to the failover chain when the primary cannot be built', async () => {
    const services = await build(
      { ...LLM_ENV, DEEPGRAM_BASE_URL: httpUrl(deepgram.url) },
      { stt: { provider: 'deepgram' }, failover: { stt: [{ provider: 'local' }] } },
      { stt: { ok: false, reason: 'not installed' }, tts: { ok: true } },
    );
    expect(services.problems.map((p) => p.detail)).toEqual([
      expect.stringContaining('stt (Deepgram): no Deepgram API key'),
      'speech recognition: not installed',
    ]);
  });
});

/** `ws://host:port` → `http://host:port` (credentials and base URLs are http(s)). */
function httpUrl(url: string): string {
  return url.replace(/^ws/, 'http');
}

describe('a failover chain', () => {
  it('answers the turn from the next LLM when the first fails mid-call, and says so', async () => {
    const claude = await FakeAnthropicServer.start({ defaultReply: { text: 'Claude here.' } });
    try {
      operatorLlm.setHandler(() => ({ error: 500 })); // an outage: the SDK's retries fail too
      const services = await build(
        {
          OPENAI_API_KEY: 'sk-op',
          OPENAI_BASE_URL: operatorLlm.url,
          ANTHROPIC_API_KEY: 'sk-ant',
          ANTHROPIC_BASE_URL: claude.url,
        },
        { llm: { provider: 'openai' }, failover: { llm: [{ provider: 'anthropic' }] } },
      );
      expect(services.problems).toEqual([]);
      const h = new ProcessorHarness(services.llm);
      harness = h;
      await h.start();
      h.send(frame('llm_context', { context: new LLMContext([{ role: 'user', content: 'Hello?' }]) }));
      await h.waitFor('llm_response_end', { timeoutMs: 20_000 });
      expect(
        h
          .ofType('llm_text')
          .map((f) => f.text)
          .join(''),
      ).toBe('Claude here.');
      expect(h.ofType('service_switched')).toMatchObject([
        { service: 'llm', from: 'llm:openai', to: 'failover.llm.0:anthropic', reason: 'failure' },
      ]);
      expect(h.ofType('error')).toEqual([]); // the turn was not lost: no apology
    } finally {
      operatorLlm.setHandler(undefined);
      await claude.close();
    }
  }, 30_000);

  it('keeps the fallback silent: a primary that cannot be built is only logged', async () => {
    const services = await build(
      { OPENAI_API_KEY: 'sk-op' },
      { tts: { provider: 'cartesia' }, failover: { tts: [{ provider: 'local' }] } },
    );
    expect(services.problems).toEqual([{ detail: expect.stringContaining('no Cartesia API key') }]);
  });
});

describe('a vendor over TLS with a private CA (Cartesia, VENDOR_CA_FILE)', () => {
  let cartesia: FakeCartesiaServer;
  let dir: string;
  /** Writes `text` to a file of the temporary directory and returns its path. */
  const file = async (name: string, text: string) => {
    const at = path.join(dir, name);
    await writeFile(at, text);
    return at;
  };

  beforeAll(async () => {
    cartesia = await FakeCartesiaServer.start({ apiKey: ENV_KEY });
    dir = await mkdtemp(path.join(tmpdir(), 'parley-vendor-ca-'));
  });
  afterAll(async () => {
    await cartesia?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  /** Starts the TTS the production factory builds for Cartesia under `env`, and speaks one sentence. */
  async function speak(env: Record<string, string>) {
    const services = await build(
      { OPENAI_API_KEY: 'sk-op', CARTESIA_API_KEY: ENV_KEY, CARTESIA_BASE_URL: cartesia.url, ...env },
      { tts: { provider: 'cartesia' } },
    );
    expect(services.problems).toEqual([]);
    const h = new ProcessorHarness(services.tts);
    harness = h;
    await h.start({ outputSampleRateHz: 8000 });
    h.send(frame('tts_speak', { text: 'Over TLS.' }));
    await h.waitFor('tts_stopped', { timeoutMs: 15_000 });
    return h;
  }

  it("connects when the file holds the vendor's CA, and not without it", async () => {
    const caFile = await file('bundle.pem', `# the fake's certificate\n${cartesia.ca}`);
    const before = cartesia.connections.length;
    const trusted = await speak({ VENDOR_CA_FILE: caFile });
    expect(cartesia.connections.length).toBe(before + 1);
    expect(trusted.ofType('output_audio').length).toBeGreaterThan(0);
    expect(trusted.ofType('error')).toEqual([]);
    trusted.send(frame('cancel', { reason: 'next case' }));

    const untrusted = await speak({});
    expect(cartesia.connections.length).toBe(before + 1);
    expect(untrusted.ofType('output_audio')).toEqual([]);
    expect(untrusted.ofType('error', 'upstream')[0]?.message).toMatch(/self-signed certificate/);
  }, 30_000);

  it('stops the server at start-up when the file is missing, holds no certificate or a broken one', async () => {
    const load = (name: string) => () => loadServerConfig({ VENDOR_CA_FILE: name }, dir);
    expect(load('missing.pem')).toThrow(/VENDOR_CA_FILE: cannot read .*missing\.pem/);
    await file('empty.pem', 'no certificate here\n');
    expect(load('empty.pem')).toThrow(/VENDOR_CA_FILE: .*empty\.pem holds no PEM certificate/);
    const broken = cartesia.ca.replace(/(-----BEGIN CERTIFICATE-----\n)(.{8})/, '$1AAAAAAAA');
    await file('broken.pem', broken);
    expect(load('broken.pem')).toThrow(/VENDOR_CA_FILE: certificate 1 of .*broken\.pem does not parse/);
    // A relative path resolves against the working directory.
    expect(loadServerConfig({ VENDOR_CA_FILE: 'bundle.pem' }, dir).vendorCa).toBe(`${cartesia.ca.trim()}\n`);
  });
});
