import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AgentConfigInput } from '../src/config/agent-config.ts';
import type { CallEvent } from '../src/db/call-events.ts';
import { dialTwilio } from './helpers/answer.ts';
import { placeCall } from './helpers/outbound.ts';
import {
  api,
  GREETING_AGENT,
  type JsonResponse,
  putAgent,
  startTelephonyTestServer,
  type TelephonyTestServer,
} from './helpers/telephony.ts';

/** A loopback HTTP server answering every request with `answer` after `delayMs`, recording requests. */
async function lookupServer(answer: unknown, delayMs = 0) {
  const requests: Array<{ url: string; method: string; headers: IncomingMessage['headers']; body: string }> =
    [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => {
      body += chunk.toString();
    });
    req.on('end', () => {
      requests.push({ url: req.url ?? '', method: req.method ?? '', headers: req.headers, body });
      setTimeout(() => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify(answer));
      }, delayMs);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** The `error` of an API error answer. */
const errorOf = (res: JsonResponse) => res.body.error as { code: string; issues?: string[] };

const VARIABLES = [
  {
    name: 'name',
    type: 'string',
    required: true,
    default: 'friend',
    description: 'The customer’s first name',
  },
  { name: 'plan', type: 'string', default: 'basic' },
  { name: 'vip', type: 'boolean' },
] as const;

const AGENT: AgentConfigInput = {
  ...GREETING_AGENT,
  greeting: 'Hello {{name}}, you are on the {{plan}} plan.',
  variables: [...VARIABLES],
};

describe('context variables and pre-call requests', () => {
  let server: TelephonyTestServer;
  let lookup: Awaited<ReturnType<typeof lookupServer>>;
  let slow: Awaited<ReturnType<typeof lookupServer>>;
  let refused: Awaited<ReturnType<typeof lookupServer>>;

  beforeAll(async () => {
    [lookup, slow, refused] = await Promise.all([
      lookupServer({ customer: { name: 'Ada', plan: 'gold', tier: 3 } }),
      lookupServer({ customer: { name: 'Late' } }, 5000),
      lookupServer({ customer: { name: 'Mallory' } }),
    ]);
    // Only the lookup servers' ports are allowed: `refused` stays a refused loopback address.
    server = await startTelephonyTestServer({
      EGRESS_ALLOW: `127.0.0.1:${lookup.port},127.0.0.1:${slow.port}`,
      LOG_LEVEL: 'silent',
    });
  }, 60_000);

  afterAll(async () => {
    await Promise.all([server?.close(), lookup?.close(), slow?.close(), refused?.close()]);
  });

  /** Plays an inbound call on `agent` until its greeting was spoken; returns its events once stored. */
  async function inboundCall(agent: string): Promise<CallEvent[]> {
    const sim = await dialTwilio(server, agent);
    await sim.connect();
    sim.start();
    let callId = '';
    await expect
      .poll(
        async () => {
          const { calls } = await server.parley.calls.list({ limit: 1 });
          callId = calls[0]?.id ?? '';
          const events = callId ? await server.parley.events.list(callId) : [];
          return events.some((e) => e.type === 'agent_spoke');
        },
        { timeout: 15_000 },
      )
      .toBe(true);
    sim.hangUp();
    await sim.closed();
    await expect
      .poll(async () => (await server.parley.events.list(callId)).some((e) => e.type === 'call_ended'), {
        timeout: 10_000,
      })
      .toBe(true);
    return server.parley.events.list(callId);
  }

  const greetingOf = (events: CallEvent[]) => events.find((e) => e.type === 'agent_spoke')?.data.text;

  it('refuses an agent whose default does not fit its variable’s type', async () => {
    const res = await api(server, 'PUT', '/api/agents/bad-default', {
      name: 'bad',
      config: { ...AGENT, variables: [{ name: 'vip', type: 'boolean', default: 'yes' }] },
    });
    expect(res.status).toBe(400);
    expect(errorOf(res).issues).toEqual(['variables.0.default: default must be of the variable’s type']);
  });

  it('refuses an outbound context that does not fit the agent’s variables, with one issue each', async () => {
    await putAgent(server, 'vars', AGENT);
    const missing = await placeCall(server, { agent: 'vars', context: { plan: 'gold' } });
    expect(missing.status).toBe(400);
    expect(errorOf(missing).code).toBe('invalid_context');
    expect(errorOf(missing).issues).toEqual(['context.name: required']);
    const wrong = await placeCall(server, { agent: 'vars', context: { name: 'Ada', vip: 'yes', nmae: 'x' } });
    expect(wrong.status).toBe(400);
    expect(errorOf(wrong).issues).toEqual([
      'context.vip: expected a boolean, got a string',
      'context.nmae: unknown variable; declared: name, plan, vip',
    ]);
  });

  it('renders missing variables as their defaults, never as an empty gap', async () => {
    await putAgent(server, 'vars', AGENT);
    const events = await inboundCall('vars');
    expect(greetingOf(events)).toBe('Hello friend, you are on the basic plan.');
  });

  it('refuses spoken text naming a variable without a default (its marker would be read out to the caller)', async () => {
    const res = await api(server, 'PUT', '/api/agents/no-default', {
      name: 'no default',
      config: {
        ...AGENT,
        greeting: 'Hello {{name}}, VIP: {{vip}}.',
        userIdle: { prompt: 'Still there, {{ vip }}?', goodbye: 'Bye {{name}}.' },
      },
    });
    expect(res.status).toBe(400);
    expect(errorOf(res).issues).toEqual([
      'greeting: {{vip}} has no default, so a call without it would say "[vip unknown]" to the caller; give variable vip a default',
      'userIdle.prompt: {{vip}} has no default, so a call without it would say "[vip unknown]" to the caller; give variable vip a default',
    ]);
    // The prompt may name it: there the marker tells the LLM the value is missing.
    await putAgent(server, 'no-default', { ...AGENT, prompt: 'VIP: {{vip}}.' });
  });

  it('fills variables from the pre-call answer before the greeting, with the caller’s number and a secret header', async () => {
    const cred = await api(server, 'POST', '/api/credentials', {
      name: 'crm',
      kind: 'generic',
      value: { token: 's3cret' },
      destination: lookup.url,
    });
    expect(cred.status, JSON.stringify(cred.body)).toBe(201);
    await putAgent(server, 'lookup', {
      ...AGENT,
      preCall: {
        url: `${lookup.url}/customers?phone={{caller}}&call={{callId}}`,
        headers: { Authorization: { credential: 'crm', field: 'token', prefix: 'Bearer ' } },
        map: { name: 'customer.name', plan: '$.customer.plan', vip: 'customer.tier' },
      },
    });
    const events = await inboundCall('lookup');
    expect(greetingOf(events)).toBe('Hello Ada, you are on the gold plan.');
    const request = lookup.requests.at(-1)!;
    expect(request.url).toMatch(/^\/customers\?phone=%2B15551230000&call=[0-9a-f-]{36}$/);
    expect(request.headers.authorization).toBe('Bearer s3cret');
    const injected = events.find((e) => e.type === 'context_injected');
    // `vip` is a boolean: the answer's number is not set, and said why.
    expect(injected?.data).toEqual({
      source: 'pre_call',
      variables: { name: 'Ada', plan: 'gold' },
      issues: ['context.vip: expected a boolean, got a number'],
    });
    expect(events.findIndex((e) => e.type === 'context_injected')).toBeLessThan(
      events.findIndex((e) => e.type === 'agent_spoke'),
    );
  });

  it('says the idle prompt and goodbye with the pre-call values', async () => {
    await putAgent(server, 'idle-lookup', {
      ...AGENT,
      userIdle: { timeoutSecs: 1, maxPrompts: 1, prompt: 'Still there, {{name}}?', goodbye: 'Bye {{name}}.' },
      preCall: {
        url: `${lookup.url}/customers?phone={{caller}}`,
        map: { name: 'customer.name' },
      },
    });
    const sim = await dialTwilio(server, 'idle-lookup');
    await sim.connect();
    sim.start();
    // The caller stays silent: one prompt, then the goodbye and the hang-up.
    await sim.withSilence(() => sim.closed());
    const { calls } = await server.parley.calls.list({ limit: 1 });
    const callId = calls[0]!.id;
    await expect
      .poll(async () => (await server.parley.calls.get(callId))?.status, { timeout: 10_000 })
      .toBe('completed');
    const events = await server.parley.events.list(callId);
    expect(events.filter((e) => e.type === 'agent_spoke').map((e) => e.data.text)).toEqual([
      'Hello Ada, you are on the basic plan.',
      'Still there, Ada?',
      'Bye Ada.',
    ]);
    expect((await server.parley.calls.get(callId))?.endReason).toBe('user_idle');
  }, 60_000);

  it('greets with the defaults after timeoutSecs when the pre-call request is slow, and stores an error', async () => {
    await putAgent(server, 'slow', {
      ...AGENT,
      preCall: { url: slow.url, timeoutSecs: 0.5, map: { name: 'customer.name' } },
    });
    const started = Date.now();
    const events = await inboundCall('slow');
    expect(Date.now() - started).toBeLessThan(4500);
    expect(greetingOf(events)).toBe('Hello friend, you are on the basic plan.');
    expect(events.find((e) => e.type === 'error')?.data).toMatchObject({
      source: 'pre_call',
      message: 'the pre-call request failed: timed out',
    });
    expect(events.some((e) => e.type === 'context_injected')).toBe(false);
  });

  it('refuses a pre-call to a loopback address EGRESS_ALLOW does not allow; the call goes on', async () => {
    // Stored directly: the agents API refuses the URL already (see below); the connect-time guard is tested here.
    await server.parley.agents.upsert({
      id: 'refused',
      name: 'refused',
      config: { ...AGENT, preCall: { url: refused.url, map: { name: 'customer.name' } } },
    });
    const events = await inboundCall('refused');
    expect(greetingOf(events)).toBe('Hello friend, you are on the basic plan.');
    expect(String(events.find((e) => e.type === 'error')?.data.message)).toMatch(/loopback.*EGRESS_ALLOW/);
    expect(refused.requests).toHaveLength(0);
  });

  it('refuses an agent whose pre-call header or webhook secret names an unknown or misbound credential when it is saved', async () => {
    const other = await api(server, 'POST', '/api/credentials', {
      name: 'elsewhere',
      kind: 'generic',
      value: { secret: 'x' },
      destination: 'https://hooks.example',
    });
    expect(other.status, JSON.stringify(other.body)).toBe(201);
    const res = await api(server, 'PUT', '/api/agents/bad-secrets', {
      name: 'bad secrets',
      config: {
        ...AGENT,
        preCall: {
          url: `${lookup.url}/customers?phone={{caller}}`,
          headers: { Authorization: { credential: 'no-such-cred', field: 'token' }, 'X-Plain': 'yes' },
          map: { name: 'customer.name' },
        },
        postCall: { webhook: { url: `${lookup.url}/hook`, secretCredential: 'elsewhere' } },
      },
    });
    expect(res.status).toBe(400);
    expect(errorOf(res).code).toBe('invalid_agent');
    const issues = errorOf(res).issues ?? [];
    expect(issues).toHaveLength(2);
    expect(issues[0]).toBe('preCall.headers.Authorization: no credential is named "no-such-cred"');
    expect(issues[1]).toMatch(/^postCall\.webhook\.secretCredential: .*https:\/\/hooks\.example/);
    expect(await server.parley.agents.get('bad-secrets')).toBeUndefined();
  });

  it('refuses an agent whose pre-call or webhook URL is a private address, and keeps a credential in use', async () => {
    const res = await api(server, 'PUT', '/api/agents/private', {
      name: 'private',
      config: {
        ...AGENT,
        preCall: { url: 'http://10.1.2.3/lookup?phone={{caller}}', map: {} },
        postCall: { webhook: { url: 'http://169.254.169.254/hook', secretCredential: 'crm' } },
      },
    });
    expect(res.status).toBe(400);
    expect(errorOf(res).issues).toEqual([
      'preCall.url: 10.1.2.3 is a private address; Parley does not send requests there unless EGRESS_ALLOW allows it',
      'postCall.webhook.url: 169.254.169.254 is a link-local address; Parley does not send requests there unless EGRESS_ALLOW allows it',
    ]);
    // `crm` signs the `lookup` agent's pre-call header (created above).
    const deleted = await api(server, 'DELETE', '/api/credentials/crm');
    expect(deleted.status).toBe(409);
    expect(errorOf(deleted).issues).toEqual(['agent lookup (preCall.headers.Authorization)']);
  });
});
