import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Role } from '../src/auth/roles.ts';
import { apiKeyHeaders } from './helpers/auth.ts';
import { noServices } from './helpers/no-services.ts';
import { startTestServer, type TestServer } from './helpers/server.ts';

let server: TestServer;
let as: Record<Role, { authorization: string }>;

beforeAll(async () => {
  server = await startTestServer(() => noServices);
  as = {
    viewer: await apiKeyHeaders(server.database, 'viewer', 'flow viewer'),
    editor: await apiKeyHeaders(server.database, 'editor', 'flow editor'),
    admin: server.adminHeaders,
  };
  await server.parley.agents.upsert({
    id: 'booker',
    name: 'Booker',
    config: {
      prompt: 'You book tables.',
      stt: { provider: 'fake' },
      tts: { provider: 'fake' },
      llm: { provider: 'openai', model: 'gpt-4o-mini' },
    },
  });
  // The tool the flow's nodes name (flows may only name stored or built-in tools).
  await server.parley.tools.upsert('menu-lookup', {
    name: 'menu_lookup',
    description: 'Look a dish up.',
    parameters: { type: 'object', properties: { dish: { type: 'string' } }, required: ['dish'] },
    url: 'https://menu.example.com/dishes/{{dish}}',
    method: 'GET',
  });
}, 60_000);

afterAll(async () => {
  await server?.close();
});

function api(method: 'GET' | 'PUT' | 'POST' | 'DELETE', url: string, role: Role = 'editor', body?: unknown) {
  return server.parley.app.inject({
    method,
    url,
    headers: {
      ...as[role],
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { payload: JSON.stringify(body) }),
  });
}

/** greet → order → bye, each step a function with a target. */
function flow(changes: { greetTask?: string; extraNode?: boolean } = {}) {
  return {
    nodes: [
      {
        key: 'greet',
        initial: true,
        position: { x: 0, y: 0 },
        roleMessage: 'You are Ada.',
        taskMessages: [changes.greetTask ?? 'Greet the caller.'],
        functions: [{ name: 'to_order', description: 'The caller wants to order.', target: 'order' }],
      },
      {
        key: 'order',
        position: { x: 200, y: 0 },
        taskMessages: ['Take the order.'],
        toolIds: ['menu-lookup'],
        functions: [{ name: 'done', description: 'The order is complete.', target: 'bye' }],
      },
      {
        key: 'bye',
        terminal: true,
        position: { x: 400, y: 0 },
        taskMessages: ['Thank the caller.'],
        postActions: [{ type: 'end_conversation', text: 'Goodbye!' }],
      },
      ...(changes.extraNode ? [{ key: 'help', taskMessages: ['Help.'] }] : []),
    ],
  };
}

interface Version {
  id: string;
  version: number;
  status: string;
  definition: ReturnType<typeof flow>;
  createdBy: string | null;
}

describe('the flows API', () => {
  it('keeps one draft: created, then replaced, with its warnings', async () => {
    const empty = await api('GET', '/api/agents/booker/flow', 'viewer');
    expect(empty.json()).toEqual({ draft: null, published: null });

    const created = await api('PUT', '/api/agents/booker/flow/draft', 'editor', { definition: flow() });
    expect(created.statusCode, created.body).toBe(201);
    expect(created.json()).toMatchObject({
      version: 1,
      status: 'draft',
      createdBy: 'flow editor',
      issues: [],
    });

    const replaced = await api('PUT', '/api/agents/booker/flow/draft', 'editor', {
      definition: flow({ extraNode: true }),
    });
    expect(replaced.statusCode).toBe(200);
    const draft = replaced.json<Version & { issues: { code: string; path: string }[] }>();
    expect(draft.version).toBe(1);
    expect(draft.id).toBe(created.json<Version>().id);
    expect(draft.issues).toEqual([
      expect.objectContaining({ code: 'unreachable_node', severity: 'warning', path: 'nodes.help' }),
    ]);
    const read = await api('GET', '/api/agents/booker/flow', 'viewer');
    expect(read.json<{ draft: Version }>().draft.definition.nodes.map((n) => n.key)).toEqual([
      'greet',
      'order',
      'bye',
      'help',
    ]);
  });

  it('refuses a draft with errors, listing them with node paths', async () => {
    const bad = {
      nodes: [
        {
          key: 'a',
          taskMessages: ['A.'],
          functions: [{ name: 'go', description: 'Go.', target: 'nowhere' }],
        },
        { key: 'b', taskMessages: ['B.'], functions: [{ name: 'x', description: 'X.', handler: 'custom' }] },
      ],
    };
    const res = await api('PUT', '/api/agents/booker/flow/draft', 'editor', { definition: bad });
    expect(res.statusCode).toBe(400);
    const body = res.json<{ error: { code: string; issues: string[]; flowIssues: { code: string }[] } }>();
    expect(body.error.code).toBe('invalid_flow');
    expect(body.error.flowIssues.map((i) => i.code).sort()).toEqual([
      'no_initial_node',
      'unknown_target',
      'unregistered_handler',
    ]);
    expect(body.error.issues).toContain(
      'nodes.a.functions.go: transitions to "nowhere", which is not a node of this flow',
    );
    // The stored draft is unchanged.
    const read = await api('GET', '/api/agents/booker/flow', 'viewer');
    expect(read.json<{ draft: Version }>().draft.definition.nodes).toHaveLength(4);
  });

  it('validates a definition, or the stored draft, without saving', async () => {
    const res = await api('POST', '/api/agents/booker/flow/validate', 'editor', {
      definition: { nodes: [{ key: 'a', initial: true, taskMessages: [] }] },
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({
      valid: false,
      issues: [
        {
          code: 'schema',
          severity: 'error',
          path: 'nodes.0.taskMessages',
          message: expect.stringMatching(/>=1|at least 1/i),
        },
      ],
    });
    const draft = await api('POST', '/api/agents/booker/flow/validate', 'editor', {});
    expect(draft.json()).toMatchObject({ valid: true, issues: [{ code: 'unreachable_node' }] });
  });

  it('publishes the draft and archives the version published before; lists and reads versions', async () => {
    const first = await api('POST', '/api/agents/booker/flow/publish');
    expect(first.statusCode, first.body).toBe(200);
    expect(first.json()).toMatchObject({ published: { version: 1, status: 'published' }, archived: null });
    expect((await api('GET', '/api/agents/booker/flow', 'viewer')).json()).toMatchObject({
      draft: null,
      published: { version: 1 },
    });
    expect((await api('POST', '/api/agents/booker/flow/publish')).statusCode).toBe(404);

    await api('PUT', '/api/agents/booker/flow/draft', 'editor', {
      definition: flow({ greetTask: 'Greet the caller warmly.' }),
    });
    const second = await api('POST', '/api/agents/booker/flow/publish');
    expect(second.json()).toMatchObject({
      published: { version: 2, status: 'published' },
      archived: { version: 1, status: 'archived' },
    });

    const list = await api('GET', '/api/agents/booker/flow/versions', 'viewer');
    const versions = list.json<{ versions: Array<Version> }>().versions;
    expect(versions.map((v) => [v.version, v.status])).toEqual([
      [2, 'published'],
      [1, 'archived'],
    ]);
    expect(versions[0]).not.toHaveProperty('definition');

    const one = await api('GET', '/api/agents/booker/flow/versions/1', 'viewer');
    expect(one.json<Version>().definition.nodes.map((n) => n.key)).toContain('help');
    expect((await api('GET', '/api/agents/booker/flow/versions/9', 'viewer')).statusCode).toBe(404);
    expect((await api('GET', '/api/agents/booker/flow/versions/x', 'viewer')).json()).toMatchObject({
      error: { code: 'flow_version_not_found' },
    });
  });

  it('diffs two versions node by node', async () => {
    await api('PUT', '/api/agents/booker/flow/draft', 'editor', {
      definition: {
        nodes: [
          { ...flow().nodes[0], taskMessages: ['Say hi.'], position: { x: 10, y: 0 } },
          {
            ...flow().nodes[1],
            functions: [{ name: 'done', description: 'Finished ordering.', target: 'bye' }],
          },
          flow().nodes[2],
          { key: 'upsell', taskMessages: ['Offer dessert.'] },
        ],
      },
    });
    const res = await api('GET', '/api/agents/booker/flow/diff?from=1&to=draft', 'viewer');
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json()).toEqual({
      from: 1,
      to: 3,
      addedNodes: ['upsell'],
      removedNodes: ['help'],
      changedNodes: [
        { key: 'greet', fields: ['position', 'taskMessages'] },
        { key: 'order', fields: ['functions.done'] },
      ],
      changedGlobalFunctions: [],
    });
    const same = await api('GET', '/api/agents/booker/flow/diff?from=published&to=2', 'viewer');
    expect(same.json()).toMatchObject({ addedNodes: [], removedNodes: [], changedNodes: [] });
    expect((await api('GET', '/api/agents/booker/flow/diff?from=1', 'viewer')).statusCode).toBe(400);
  });

  it('keeps a tool a flow node names from being deleted', async () => {
    expect(
      (await api('PUT', '/api/agents/booker/flow/draft', 'editor', { definition: flow() })).statusCode,
    ).toBe(200);
    const refused = await api('DELETE', '/api/tools/menu-lookup');
    expect(refused.statusCode).toBe(409);
    expect(refused.json<{ error: { issues: string[] } }>().error.issues).toContain(
      'flow of agent booker (draft, node order)',
    );
  });

  it('deletes the draft', async () => {
    expect((await api('DELETE', '/api/agents/booker/flow/draft')).statusCode).toBe(204);
    expect((await api('DELETE', '/api/agents/booker/flow/draft')).statusCode).toBe(404);
    expect((await api('GET', '/api/agents/booker/flow', 'viewer')).json()).toMatchObject({
      draft: null,
      published: { version: 2 },
    });
  });

  it('lets viewers read but not write, and answers 404 for an unknown agent', async () => {
    for (const [method, url] of [
      ['PUT', '/api/agents/booker/flow/draft'],
      ['DELETE', '/api/agents/booker/flow/draft'],
      ['POST', '/api/agents/booker/flow/validate'],
      ['POST', '/api/agents/booker/flow/publish'],
    ] as const) {
      const res = await api(method, url, 'viewer', { definition: flow() });
      expect(res.statusCode, `${method} ${url}`).toBe(403);
    }
    expect((await api('GET', '/api/agents/booker/flow/versions', 'viewer')).statusCode).toBe(200);
    const missing = await api('GET', '/api/agents/nobody/flow', 'viewer');
    expect(missing.statusCode).toBe(404);
    expect(missing.json()).toMatchObject({ error: { code: 'agent_not_found' } });
  });

  it('records publishing in the audit log', async () => {
    const log = await api('GET', '/api/audit-log', 'admin');
    const actions = log
      .json<{ entries: Array<{ action: string; target: { id: string } }> }>()
      .entries.filter((e) => e.action.startsWith('flow.'));
    expect(actions.map((e) => e.action)).toContain('flow.publish');
    expect(actions.every((e) => e.target.id === 'booker')).toBe(true);
  });

  it('refuses function parameters that are not a usable JSON Schema: validate, save and publish', async () => {
    await server.parley.agents.upsert({
      id: 'schemer',
      name: 'Schemer',
      config: {
        prompt: 'You book tables.',
        stt: { provider: 'fake' },
        tts: { provider: 'fake' },
        llm: { provider: 'openai', model: 'gpt-4o-mini' },
      },
    });
    const base = flow();
    const bad = {
      ...base,
      nodes: [
        {
          ...base.nodes[0]!,
          functions: [{ ...base.nodes[0]!.functions![0]!, parameters: { type: 'banana' } }],
        },
        ...base.nodes.slice(1),
      ],
      globalFunctions: [
        {
          name: 'repeat',
          description: 'The caller asks to hear it again.',
          target: 'greet',
          parameters: { type: 'object', properties: { what: { type: 'banana' } } },
        },
      ],
    };
    const expected = [
      'nodes.greet.functions.to_order.parameters.type: not a usable JSON Schema: must be "object" (the arguments are an object)',
      expect.stringMatching(
        /^globalFunctions\.repeat\.parameters\.properties\.what\.type: not a usable JSON Schema: must be equal to one of the allowed values/,
      ),
    ];

    const validated = await api('POST', '/api/agents/schemer/flow/validate', 'editor', { definition: bad });
    expect(validated.statusCode).toBe(200);
    const { valid, issues } = validated.json<{ valid: boolean; issues: FlowIssueJson[] }>();
    expect(valid).toBe(false);
    expect(issues.every((i) => i.code === 'bad_parameters' && i.severity === 'error')).toBe(true);
    expect(issues.map((i) => `${i.path}: ${i.message}`)).toEqual(expect.arrayContaining(expected));

    const saved = await api('PUT', '/api/agents/schemer/flow/draft', 'editor', { definition: bad });
    expect(saved.statusCode).toBe(400);
    expect(saved.json<{ error: { code: string; issues: string[] } }>().error).toMatchObject({
      code: 'invalid_flow',
      issues: expect.arrayContaining(expected),
    });

    // A draft stored before this check existed is refused when published.
    await server.parley.flows.putDraft('schemer', bad, null);
    const published = await api('POST', '/api/agents/schemer/flow/publish');
    expect(published.statusCode).toBe(400);
    expect(published.json<{ error: { issues: string[] } }>().error.issues).toEqual(
      expect.arrayContaining(expected),
    );
    expect((await api('GET', '/api/agents/schemer/flow', 'viewer')).json()).toMatchObject({
      published: null,
    });
  });
});

interface FlowIssueJson {
  code: string;
  severity: string;
  path: string;
  message: string;
}
