import { Writable } from 'node:stream';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOG_REDACT } from '../src/security/log-redaction.ts';
import { apiKeyHeaders } from './helpers/auth.ts';
import { noServices } from './helpers/no-services.ts';
import { startTestServer, type TestServer } from './helpers/server.ts';
import { WebhookServer } from './helpers/webhook-server.ts';

const SECRET = 'S3CRET-tool-token-4242';

let server: TestServer;
let hook: WebhookServer;
let viewer: { authorization: string };
let editor: { authorization: string };
const logLines: string[] = [];

beforeAll(async () => {
  hook = await WebhookServer.start();
  const sink = new Writable({
    write(chunk, _encoding, done) {
      logLines.push(String(chunk));
      done();
    },
  });
  // Only the endpoint's own port is allowed: any other loopback or private address is refused.
  server = await startTestServer(
    () => noServices,
    { EGRESS_ALLOW: `127.0.0.1:${new URL(hook.url).port}` },
    { logger: pino({ level: 'debug', redact: LOG_REDACT }, sink) },
  );
  viewer = await apiKeyHeaders(server.database, 'viewer');
  editor = await apiKeyHeaders(server.database, 'editor');
  const credential = await call('POST', '/api/credentials', {
    name: 'orders-key',
    kind: 'generic',
    value: { token: SECRET },
    destination: hook.url,
  });
  expect(credential.statusCode, credential.body).toBe(201);
}, 60_000);

afterAll(async () => {
  await server?.close();
  await hook?.close();
});

interface ErrorBody {
  error: { code: string; message: string; issues?: string[] };
}

function call(
  method: 'GET' | 'PUT' | 'POST' | 'DELETE',
  url: string,
  body?: unknown,
  headers: Record<string, string> = server.adminHeaders,
) {
  return server.parley.app.inject({
    method,
    url,
    headers: body === undefined ? headers : { ...headers, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { payload: JSON.stringify(body) }),
  });
}

/** A tool on the fake endpoint: `lookup_order`, GET `/orders/{{order_id}}`. */
function lookupOrder(changes: Record<string, unknown> = {}) {
  return {
    name: 'lookup_order',
    description: 'Look an order up by its id.',
    parameters: {
      type: 'object',
      properties: { order_id: { type: 'string', minLength: 1 }, verbose: { type: 'boolean' } },
      required: ['order_id'],
      additionalProperties: false,
    },
    url: `${hook.url}/orders/{{order_id}}?caller={{caller}}`,
    method: 'GET' as const,
    ...changes,
  };
}

async function putTool(id: string, definition: Record<string, unknown>) {
  const res = await call('PUT', `/api/tools/${id}`, definition);
  expect(res.statusCode, res.body).toBeLessThan(300);
  return res.json<Record<string, unknown>>();
}

function testTool(id: string, body: Record<string, unknown>) {
  return call('POST', `/api/tools/${id}/test`, body);
}

describe('the tools API', () => {
  it('creates, reads, lists, replaces and deletes a tool, with defaults applied', async () => {
    const created = await call('PUT', '/api/tools/crud-tool', lookupOrder());
    expect(created.statusCode).toBe(201);
    expect(created.json()).toMatchObject({
      id: 'crud-tool',
      name: 'lookup_order',
      method: 'GET',
      timeoutSecs: 10,
      retries: 0,
      maxResponseChars: 2000,
      headers: {},
    });
    expect((await call('GET', '/api/tools/crud-tool')).json()).toEqual(created.json());
    const listed = (await call('GET', '/api/tools')).json<{ tools: Array<{ id: string }> }>();
    expect(listed.tools.map((t) => t.id)).toContain('crud-tool');

    const replaced = await call('PUT', '/api/tools/crud-tool', lookupOrder({ timeoutSecs: 3 }));
    expect(replaced.statusCode).toBe(200);
    expect(replaced.json()).toMatchObject({ timeoutSecs: 3 });

    expect((await call('DELETE', '/api/tools/crud-tool')).statusCode).toBe(204);
    const gone = await call('GET', '/api/tools/crud-tool');
    expect(gone.statusCode).toBe(404);
    expect(gone.json<ErrorBody>().error.code).toBe('tool_not_found');
    expect((await call('DELETE', '/api/tools/crud-tool')).statusCode).toBe(404);
  });

  it('refuses parameters that are not a usable JSON Schema, with readable issues', async () => {
    const cases: Array<[Record<string, unknown>, RegExp]> = [
      [
        { type: 'object', properties: { order_id: { type: 'strng' } } },
        /parameters\.properties\.order_id\.type/,
      ],
      [{ type: 'array', items: {} }, /parameters\.type: must be "object"/],
      [{ type: 'object', required: 'order_id' }, /parameters\.required: must be array/],
      [
        { type: 'object', properties: { a: { $ref: '#/definitions/missing' } } },
        /parameters: can't resolve reference/,
      ],
      [
        { $schema: 'http://json-schema.org/draft-04/schema#', type: 'object' },
        /parameters\.\$schema: must be JSON Schema draft-07 or 2020-12/,
      ],
    ];
    for (const [parameters, issue] of cases) {
      const res = await call('PUT', '/api/tools/bad-schema', lookupOrder({ parameters }));
      expect(res.statusCode, JSON.stringify(parameters)).toBe(400);
      const { error } = res.json<ErrorBody>();
      expect(error.code).toBe('invalid_tool');
      expect(error.issues?.join('\n')).toMatch(issue);
    }
    expect((await call('GET', '/api/tools/bad-schema')).statusCode).toBe(404);
    // Draft 2020-12, named by $schema, is checked with its own meta-schema.
    const modern = {
      $schema: 'https://json-schema.org/draft/2020-12/schema',
      type: 'object',
      properties: { order_id: { type: 'string' } },
    };
    const saved = await call('PUT', '/api/tools/modern-schema', lookupOrder({ parameters: modern }));
    expect(saved.statusCode, saved.body).toBeLessThan(300);
    expect((await call('DELETE', '/api/tools/modern-schema')).statusCode).toBe(204);
  });

  it('refuses bad names, ids, methods, URLs and built-in ids', async () => {
    const refused = async (id: string, definition: Record<string, unknown>, issue: RegExp) => {
      const res = await call('PUT', `/api/tools/${id}`, definition);
      expect(res.statusCode, id).toBe(400);
      expect(res.json<ErrorBody>().error.issues?.join('\n')).toMatch(issue);
    };
    await refused('a', lookupOrder({ name: 'look up order' }), /^name: /m);
    await refused('Upper', lookupOrder(), /lower-case/);
    await refused('end_call', lookupOrder(), /built-in/);
    await refused('a', lookupOrder({ method: 'TRACE' }), /^method: /m);
    await refused('a', lookupOrder({ url: 'ftp://example.com/x' }), /^url: must be an http/m);
    await refused('a', lookupOrder({ url: 'https://{{host}}.example.com/x' }), /must be literal/);
    await refused(
      'a',
      lookupOrder({ headers: { Authorization: `Bearer ${SECRET}` } }),
      /refer to a generic credential/,
    );
    await refused('a', lookupOrder({ headers: { Host: 'example.com' } }), /set by the HTTP client/);
  });

  it('refuses a URL at a private or loopback address that EGRESS_ALLOW does not allow', async () => {
    for (const url of ['http://10.0.0.5/orders', 'http://169.254.169.254/latest', 'http://127.0.0.1:9/x']) {
      const res = await call('PUT', '/api/tools/private', lookupOrder({ url }));
      expect(res.statusCode, url).toBe(400);
      expect(res.json<ErrorBody>().error.issues?.join('\n')).toMatch(/EGRESS_ALLOW/);
    }
  });

  it('refuses a request to a refused address at run time too (a tool stored before the rules changed)', async () => {
    await server.parley.tools.upsert(
      'stale-private',
      lookupOrder({ url: 'http://10.255.255.1:8080/orders/{{order_id}}' }),
    );
    const res = await testTool('stale-private', { arguments: { order_id: 'A1' } });
    expect(res.statusCode).toBe(200);
    const body = res.json<{ ok: boolean; error: string; result: string; status?: number }>();
    expect(body.ok).toBe(false);
    expect(body.error).toMatch(/^refused: .*private address/);
    expect(JSON.parse(body.result)).toEqual({ error: "the tool's address is not allowed" });
    expect(body.status).toBeUndefined();
  });

  it('runs a GET tool: URL placeholders from arguments and variables, the rest in the query', async () => {
    hook.answer('/orders/A%201', { body: '{"status":"shipped"}' });
    await putTool('lookup-order', lookupOrder());
    const res = await testTool('lookup-order', {
      arguments: { order_id: 'A 1', verbose: true },
      variables: { caller: '+15550001' },
    });
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json<Record<string, unknown>>();
    expect(body).toMatchObject({
      ok: true,
      status: 200,
      attempts: 1,
      request: { method: 'GET', url: `${hook.url}/orders/A%201?caller=%2B15550001&verbose=true` },
      response: { status: 200, body: '{"status":"shipped"}' },
      result: '{"status":"shipped"}',
    });
    expect(body.durationMs).toBeTypeOf('number');
    expect(hook.requestsTo('/orders/A%201').at(-1)?.url).toBe(
      '/orders/A%201?caller=%2B15550001&verbose=true',
    );
  });

  it('refuses arguments that do not fit the schema, and sends nothing', async () => {
    await putTool('strict-order', lookupOrder());
    const before = hook.requests.length;
    const res = await testTool('strict-order', { arguments: { order_id: 5, extra: 1 } });
    expect(res.statusCode).toBe(400);
    const { error } = res.json<ErrorBody>();
    expect(error.code).toBe('invalid_arguments');
    expect(error.issues).toEqual(
      expect.arrayContaining([
        'arguments.order_id: must be string',
        'arguments: must NOT have additional properties (extra)',
      ]),
    );
    expect(hook.requests.length).toBe(before);
  });

  it('sends a POST body and a secret header from a credential, which is never returned or logged', async () => {
    const definition = {
      name: 'create_ticket',
      description: 'Open a support ticket.',
      parameters: { type: 'object', properties: { topic: { type: 'string' } }, required: ['topic'] },
      url: `${hook.url}/tickets`,
      method: 'POST',
      headers: {
        Authorization: { credential: 'orders-key', field: 'token', prefix: 'Bearer ' },
        'X-Source': 'parley',
      },
    };
    const stored = await putTool('create-ticket', definition);
    expect(stored.headers).toEqual(definition.headers);
    hook.answer('/tickets', { status: 201, body: '{"ticket":77}' });
    const res = await testTool('create-ticket', { arguments: { topic: 'billing' } });
    expect(res.json()).toMatchObject({
      ok: true,
      status: 201,
      request: {
        method: 'POST',
        body: '{"topic":"billing"}',
        headers: { Authorization: '***', 'X-Source': 'parley', 'content-type': 'application/json' },
      },
      result: '{"ticket":77}',
    });
    const received = hook.requestsTo('/tickets').at(-1);
    expect(received?.headers.authorization).toBe(`Bearer ${SECRET}`);
    expect(received?.headers['x-source']).toBe('parley');
    expect(received?.body).toBe('{"topic":"billing"}');

    for (const answer of [
      res,
      await call('GET', '/api/tools/create-ticket'),
      await call('GET', '/api/tools'),
    ]) {
      expect(answer.body).not.toContain(SECRET);
    }
    expect(logLines.length).toBeGreaterThan(0);
    expect(logLines.join('')).not.toContain(SECRET);
    expect(logLines.join('')).toContain('tool tested');

    // The credential is in use by the tool: it cannot be deleted.
    const deleted = await call('DELETE', '/api/credentials/orders-key');
    expect(deleted.statusCode).toBe(409);
    expect(deleted.json<ErrorBody>().error.issues).toContain('tool create-ticket');
  });

  it('refuses a header credential that is missing or bound to another origin', async () => {
    const elsewhere = await call('POST', '/api/credentials', {
      name: 'elsewhere-key',
      kind: 'generic',
      value: { token: 'x' },
      destination: 'https://api.example.com',
    });
    expect(elsewhere.statusCode).toBe(201);
    for (const [credential, issue] of [
      ['elsewhere-key', /may only be sent to https:\/\/api\.example\.com/],
      ['no-such-key', /no credential is named "no-such-key"/],
    ] as const) {
      const res = await call(
        'PUT',
        '/api/tools/bad-credential',
        lookupOrder({ headers: { 'X-Api-Key': { credential, field: 'token' } } }),
      );
      expect(res.statusCode).toBe(400);
      expect(res.json<ErrorBody>().error.issues?.join('\n')).toMatch(issue);
    }
  });

  it('gives up after the time limit, as an error result', async () => {
    hook.answer('/slow', { delayMs: 5000 });
    await putTool('slow-tool', lookupOrder({ url: `${hook.url}/slow`, timeoutSecs: 0.5 }));
    const res = await testTool('slow-tool', { arguments: { order_id: 'A1' } });
    const body = res.json<{ ok: boolean; error: string; result: string; durationMs: number }>();
    expect(body.ok).toBe(false);
    expect(body.error).toBe('timed out after 0.5 s');
    expect(JSON.parse(body.result)).toEqual({ error: 'the tool did not answer within 0.5 s' });
    expect(body.durationMs).toBeGreaterThanOrEqual(450);
    expect(body.durationMs).toBeLessThan(4000);
  });

  it('retries a 503 or 429 with backoff, but not a 404', async () => {
    hook.answer('/flaky', { status: 503, body: 'busy' }, { status: 429 }, { body: '{"done":true}' });
    await putTool('flaky-tool', lookupOrder({ url: `${hook.url}/flaky`, retries: 2 }));
    const before = hook.requestsTo('/flaky').length;
    const ok = (await testTool('flaky-tool', { arguments: { order_id: 'A1' } })).json();
    expect(ok).toMatchObject({ ok: true, status: 200, attempts: 3, result: '{"done":true}' });
    expect(hook.requestsTo('/flaky').length - before).toBe(3);

    hook.answer('/missing', { status: 404, body: 'no such order' });
    await putTool('missing-tool', lookupOrder({ url: `${hook.url}/missing`, retries: 2 }));
    const failed = (await testTool('missing-tool', { arguments: { order_id: 'A1' } })).json<
      Record<string, unknown>
    >();
    expect(failed).toMatchObject({ ok: false, status: 404, attempts: 1, error: 'HTTP 404' });
    expect(JSON.parse(String(failed.result))).toEqual({
      error: 'the tool answered HTTP 404',
      body: 'no such order',
    });

    hook.answer('/down', { status: 500 });
    await putTool('down-tool', lookupOrder({ url: `${hook.url}/down` }));
    const down = (await testTool('down-tool', { arguments: { order_id: 'A1' } })).json();
    expect(down).toMatchObject({ ok: false, status: 500, attempts: 1 });
  });

  it('cuts a long answer to maxResponseChars, with a note for the LLM', async () => {
    hook.answer('/big', { body: 'x'.repeat(5000) });
    await putTool('big-tool', lookupOrder({ url: `${hook.url}/big`, maxResponseChars: 100 }));
    const body = (await testTool('big-tool', { arguments: { order_id: 'A1' } })).json<{ result: string }>();
    expect(body.result.startsWith('x'.repeat(100))).toBe(true);
    expect(body.result).toContain('[cut: the answer had 5000 characters; only the first 100 are shown]');
    expect(body.result.length).toBeLessThan(200);
  });

  it('checks the tools of an agent, and refuses to delete a tool an agent uses', async () => {
    await putTool('used-tool', lookupOrder());
    const agent = (tools: string[]) => ({
      name: 'Tool user',
      config: {
        prompt: 'Help.',
        stt: { provider: 'local' },
        tts: { provider: 'local' },
        llm: { provider: 'openai' },
        tools,
      },
    });
    const unknown = await call('PUT', '/api/agents/tool-user', agent(['used-tool', 'no-such-tool']));
    expect(unknown.statusCode).toBe(400);
    expect(unknown.json<ErrorBody>().error.issues).toEqual([
      'tools.1: no tool "no-such-tool" (create it with PUT /api/tools/no-such-tool, or use a built-in: end_call, transfer_call)',
    ]);
    const saved = await call('PUT', '/api/agents/tool-user', agent(['used-tool', 'end_call']));
    expect(saved.statusCode, saved.body).toBe(201);

    const refused = await call('DELETE', '/api/tools/used-tool');
    expect(refused.statusCode).toBe(409);
    expect(refused.json<ErrorBody>().error).toMatchObject({
      code: 'tool_in_use',
      issues: ['agent tool-user'],
    });
    expect((await call('GET', '/api/tools/used-tool')).statusCode).toBe(200);

    expect((await call('PUT', '/api/agents/tool-user', agent(['end_call']))).statusCode).toBe(200);
    expect((await call('DELETE', '/api/tools/used-tool')).statusCode).toBe(204);
  });

  it('lets viewers read tools, and only editors and admins write or run them', async () => {
    await putTool('role-tool', lookupOrder());
    expect((await call('GET', '/api/tools', undefined, viewer)).statusCode).toBe(200);
    expect((await call('GET', '/api/tools/role-tool', undefined, viewer)).statusCode).toBe(200);
    for (const [method, url, body] of [
      ['PUT', '/api/tools/role-tool', lookupOrder()],
      ['DELETE', '/api/tools/role-tool', undefined],
      ['POST', '/api/tools/role-tool/test', { arguments: { order_id: 'A1' } }],
    ] as const) {
      const res = await call(method, url, body, viewer);
      expect(res.statusCode, `${method} ${url}`).toBe(403);
    }
    expect((await call('PUT', '/api/tools/role-tool', lookupOrder({ retries: 1 }), editor)).statusCode).toBe(
      200,
    );
    expect(
      (await call('POST', '/api/tools/role-tool/test', { arguments: { order_id: 'A1' } }, editor)).statusCode,
    ).toBe(200);
    expect((await call('DELETE', '/api/tools/role-tool', undefined, editor)).statusCode).toBe(204);
  });
});
