import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Role } from '../src/auth/roles.ts';
import { apiKeyHeaders } from './helpers/auth.ts';
import { noServices } from './helpers/no-services.ts';
import { startTestServer, type TestServer } from './helpers/server.ts';

let server: TestServer;
let keys: Record<Role, { authorization: string }>;

const CONFIG = {
  prompt: 'You are helpful.',
  stt: { provider: 'local' },
  tts: { provider: 'local' },
  llm: { provider: 'openai' },
};

beforeAll(async () => {
  server = await startTestServer(() => noServices);
  keys = {
    viewer: await apiKeyHeaders(server.database, 'viewer'),
    editor: await apiKeyHeaders(server.database, 'editor'),
    admin: await apiKeyHeaders(server.database, 'admin'),
  };
}, 60_000);

afterAll(async () => {
  await server?.close();
});

async function putAgent(id: string, role: Role = 'editor') {
  return server.parley.app.inject({
    method: 'PUT',
    url: `/api/agents/${id}`,
    headers: { ...keys[role], 'content-type': 'application/json' },
    payload: JSON.stringify({ name: `Agent ${id}`, config: CONFIG }),
  });
}

function deleteAgent(id: string, role: Role = 'editor') {
  return server.parley.app.inject({ method: 'DELETE', url: `/api/agents/${id}`, headers: keys[role] });
}

describe('DELETE /api/agents/:id', () => {
  it('deletes an agent nobody called, with its flow, and audits it', async () => {
    expect((await putAgent('to-delete')).statusCode).toBe(201);
    await server.parley.flows.putDraft('to-delete', { nodes: [] }, 'test');
    const res = await deleteAgent('to-delete');
    expect(res.statusCode, res.body).toBe(204);
    expect(await server.parley.agents.get('to-delete')).toBeUndefined();
    expect(await server.parley.flows.draft('to-delete')).toBeUndefined();
    const audit = await server.database.db
      .selectFrom('audit_log')
      .selectAll()
      .where('action', '=', 'agent.delete')
      .execute();
    expect(audit.map((row) => row.target_id)).toContain('to-delete');
    expect((await deleteAgent('to-delete')).statusCode).toBe(404);
  });

  it('refuses a viewer with 403 and keeps the agent', async () => {
    expect((await putAgent('kept-from-viewer')).statusCode).toBe(201);
    const res = await deleteAgent('kept-from-viewer', 'viewer');
    expect(res.statusCode).toBe(403);
    expect(res.json()).toMatchObject({ error: { code: 'forbidden' } });
    expect(await server.parley.agents.get('kept-from-viewer')).toBeDefined();
  });

  it('refuses a viewer’s PUT with 403', async () => {
    const res = await putAgent('viewer-made', 'viewer');
    expect(res.statusCode).toBe(403);
    expect(await server.parley.agents.get('viewer-made')).toBeUndefined();
  });

  it('refuses while a call with the agent is live, then keeps an agent whose calls are stored', async () => {
    expect((await putAgent('called')).statusCode).toBe(201);
    const call = await server.parley.calls.create({
      agentId: 'called',
      provider: 'twilio',
      direction: 'inbound',
      status: 'in_progress',
    });
    const live = await deleteAgent('called');
    expect(live.statusCode).toBe(409);
    expect(live.json()).toMatchObject({ error: { code: 'agent_has_live_calls' } });

    await server.parley.calls.finish(call.id, { status: 'completed' });
    const stored = await deleteAgent('called', 'admin');
    expect(stored.statusCode).toBe(409);
    expect(stored.json()).toMatchObject({ error: { code: 'agent_has_calls' } });
    // The call keeps its agent.
    expect((await server.parley.calls.get(call.id))?.agentId).toBe('called');
    expect(await server.parley.agents.get('called')).toBeDefined();
  });
});
