/** Shared set-up of the agent page tests: a stubbed API (vendors, tools, agents) and a router. */
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { configure, render, screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { MemoryRouter, Route, Routes } from 'react-router';
import { expect, vi } from 'vitest';
import { AgentEditPage } from '../src/pages/agents/AgentEditPage.tsx';
import { AgentsPage } from '../src/pages/agents/AgentsPage.tsx';
import type { JsonSchema, Vendors } from '../src/pages/agents/agent-api.ts';

// The agent form is large; a loaded 2-core machine takes seconds to render it in jsdom.
configure({ asyncUtilTimeout: 10_000 });

export function json(status: number, body: unknown): Response {
  return new Response(status === 204 ? null : JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/json' },
  });
}

const schema = (properties: Record<string, JsonSchema>): JsonSchema => ({ type: 'object', properties });

/** A few vendors as `GET /api/vendors` describes them. */
export const VENDORS: Vendors = {
  stt: [
    { provider: 'local', label: 'Local', access: false, responseTimeout: false, options: schema({}) },
    {
      provider: 'deepgram',
      label: 'Deepgram',
      access: true,
      credentialKind: 'deepgram',
      keyRequired: true,
      defaultBaseUrl: 'https://api.deepgram.com',
      responseTimeout: false,
      options: schema({
        model: { type: 'string', minLength: 1, default: 'nova-3' },
        keyterms: { type: 'array', items: { type: 'string', minLength: 1 }, maxItems: 100 },
        endpointingMs: { type: 'integer', minimum: 10, maximum: 10000 },
        smartFormat: { type: 'boolean' },
      }),
    },
  ],
  llm: [
    {
      provider: 'openai',
      label: 'OpenAI',
      access: true,
      credentialKind: 'openai',
      keyRequired: false,
      defaultBaseUrl: 'https://api.openai.com/v1',
      responseTimeout: true,
      options: schema({
        model: { type: 'string', minLength: 1, default: 'gpt-4o-mini' },
        temperature: { type: 'number', minimum: 0, maximum: 2 },
      }),
    },
  ],
  tts: [
    {
      provider: 'local',
      label: 'Flite',
      access: false,
      responseTimeout: true,
      options: schema({ voice: { type: 'string', enum: ['kal', 'slt'] } }),
    },
    {
      provider: 'elevenlabs',
      label: 'ElevenLabs',
      access: true,
      credentialKind: 'elevenlabs',
      keyRequired: true,
      responseTimeout: true,
      options: schema({
        voice: { type: 'string', minLength: 1, default: 'JBF' },
        voiceSettings: schema({ stability: { type: 'number', minimum: 0, maximum: 1 } }),
      }),
    },
  ],
};

/** The stored agent `support`. */
export const SUPPORT = {
  id: 'support',
  name: 'Support line',
  config: {
    prompt: 'You help callers.',
    language: 'en-US',
    stt: { provider: 'local' },
    llm: { provider: 'openai', model: 'gpt-4o-mini', credential: 'openai-main' },
    tts: { provider: 'local', voice: 'kal' },
    tools: ['end_call'],
  },
  createdAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-01-01T00:00:00.000Z',
};

type Handler = (url: string, init: RequestInit | undefined) => Response | undefined;

/**
 * Stubs `fetch` with an API signed in as `role` that serves the vendors, one tool and the agent
 * `support`; `handler` answers first when it returns a response. Returns the stub.
 */
export function stubApi(role: 'viewer' | 'editor' | 'admin', handler: Handler = () => undefined) {
  const fetch = vi.fn(async (url: string, init?: RequestInit) => {
    const own = handler(url, init);
    if (own) return own;
    const method = init?.method ?? 'GET';
    if (url === '/api/auth/me') {
      return json(200, { principal: { type: 'user', id: '1', name: 'someone', role }, csrfToken: 't' });
    }
    if (url === '/api/vendors') return json(200, { vendors: VENDORS });
    if (url === '/api/credentials') {
      return json(200, {
        credentials: [
          { name: 'openai-main', kind: 'openai', destination: 'https://api.openai.com' },
          { name: 'deepgram-main', kind: 'deepgram', destination: 'https://api.deepgram.com' },
        ],
      });
    }
    if (url === '/api/tools') return json(200, { tools: [{ id: 'lookup-order', name: 'lookup_order' }] });
    if (url === '/api/agents' && method === 'GET') return json(200, { agents: [SUPPORT] });
    if (url === '/api/agents/support' && method === 'GET') return json(200, SUPPORT);
    if (url.startsWith('/api/agents/') && method === 'GET') {
      return json(404, { error: { code: 'agent_not_found', message: 'No agent' } });
    }
    return json(500, { error: { code: 'unexpected', message: `unexpected ${method} ${url}` } });
  });
  vi.stubGlobal('fetch', fetch);
  return fetch;
}

/** Renders the agent routes at `path`. */
export function renderAgents(path: string) {
  const client = new QueryClient({ defaultOptions: { queries: { retry: false } } });
  render(
    <QueryClientProvider client={client}>
      <MemoryRouter initialEntries={[path]}>
        <Routes>
          <Route path="/agents" element={<AgentsPage />} />
          <Route path="/agents/new" element={<AgentEditPage />} />
          <Route path="/agents/:agentId" element={<AgentEditPage />} />
        </Routes>
      </MemoryRouter>
    </QueryClientProvider>,
  );
}

/** The requests `fetch` got with `method` to `url`, bodies parsed. */
export function requests(fetch: ReturnType<typeof stubApi>, method: string, url: string): unknown[] {
  return fetch.mock.calls
    .filter(([u, init]) => u === url && (init?.method ?? 'GET') === method)
    .map(([, init]) => (init?.body === undefined ? undefined : JSON.parse(String(init.body))));
}

/** The error shown under `control` (linked by `aria-describedby`), if any. */
export function errorOf(control: HTMLElement): string | undefined {
  const ids = control.getAttribute('aria-describedby')?.split(' ') ?? [];
  return ids
    .map((id) => document.getElementById(id))
    .find((el) => el?.classList.contains('field-error'))
    ?.textContent?.trim();
}

/** The body of a saved agent: `{ name, config }`. */
export type SavedBody = { name: string; config: Record<string, unknown> };

/** Presses "Save agent" and returns the body of the one `PUT /api/agents/support` it sent. */
export async function saveAndGetBody(fetch: ReturnType<typeof stubApi>): Promise<SavedBody> {
  await userEvent.click(screen.getByRole('button', { name: 'Save agent' }));
  await waitFor(() => expect(requests(fetch, 'PUT', '/api/agents/support')).toHaveLength(1));
  return requests(fetch, 'PUT', '/api/agents/support')[0] as SavedBody;
}
