import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { configure, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { MemoryRouter, Route, Routes } from 'react-router';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { FlowEditorPage } from '../src/pages/flows/FlowEditorPage.tsx';
import type { FlowDefinition } from '../src/pages/flows/types.ts';

function json(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
}

const DRAFT: FlowDefinition = {
  nodes: [
    {
      key: 'greet',
      initial: true,
      position: { x: 0, y: 0 },
      taskMessages: ['Greet the caller.'],
      functions: [{ name: 'to_bye', description: 'Done.', target: 'bye' }],
    },
    { key: 'bye', position: { x: 0, y: 200 }, taskMessages: ['Say goodbye.'] },
  ],
};

const version = (n: number, status: string, definition?: FlowDefinition) => ({
  id: `v${n}`,
  agentId: 'a1',
  version: n,
  status,
  createdBy: 'ada',
  createdAt: '2026-12-07T10:00:00Z',
  updatedAt: '2026-12-07T10:00:00Z',
  publishedAt: null,
  ...(definition ? { definition } : {}),
});

/** A fake API: the routes the editor calls; each request is recorded. */
function fakeApi(role: 'admin' | 'viewer') {
  const requests: { method: string; url: string; body: unknown }[] = [];
  const fetch = vi.fn(async (url: string, init?: RequestInit) => {
    const method = init?.method ?? 'GET';
    const body = init?.body === undefined ? undefined : JSON.parse(String(init.body));
    requests.push({ method, url, body });
    const route = `${method} ${url}`;
    if (route === 'GET /api/auth/me') {
      return json(200, { principal: { type: 'user', id: '1', name: 'ada', role }, csrfToken: 't' });
    }
    if (route === 'GET /api/agents/a1') return json(200, { id: 'a1', name: 'Booker' });
    if (route === 'GET /api/agents/a1/flow')
      return json(200, { draft: version(3, 'draft', DRAFT), published: null });
    if (route === 'GET /api/tools') return json(200, { tools: [{ id: 'menu', name: 'menu_lookup' }] });
    if (route === 'GET /api/agents/a1/flow/versions') return json(200, { versions: [version(3, 'draft')] });
    if (route === 'POST /api/agents/a1/flow/validate') {
      return json(200, {
        valid: false,
        issues: [
          { code: 'schema', severity: 'error', path: 'nodes.1.taskMessages.0', message: 'Too small' },
          { code: 'no_initial_node', severity: 'error', path: 'nodes', message: 'no node is marked initial' },
        ],
      });
    }
    if (route === 'PUT /api/agents/a1/flow/draft') return json(200, { ...version(3, 'draft'), issues: [] });
    return json(404, { error: { code: 'not_found', message: `no fake for ${route}` } });
  });
  vi.stubGlobal('fetch', fetch);
  return requests;
}

/** The definition of the last `PUT …/flow/draft`; fails when there was none. */
function savedDefinition(requests: readonly { method: string; body: unknown }[]): FlowDefinition {
  const put = requests.findLast((r) => r.method === 'PUT');
  if (!put) throw new Error('nothing was saved');
  return (put.body as { definition: FlowDefinition }).definition;
}

function renderPage() {
  const client = new QueryClient({ defaultOptions: { queries: { retry: false } } });
  render(
    <QueryClientProvider client={client}>
      <MemoryRouter initialEntries={['/agents/a1/flow']}>
        <Routes>
          <Route path="/agents/:agentId/flow" element={<FlowEditorPage />} />
        </Routes>
      </MemoryRouter>
    </QueryClientProvider>,
  );
}

/** The canvas card of node `key`. */
async function card(key: string): Promise<HTMLElement> {
  return screen.findByTestId(`rf__node-${key}`);
}

// Role queries over the canvas are slow in jsdom on a loaded machine.
configure({ asyncUtilTimeout: 10_000 });

beforeAll(async () => {
  // The page loads the editor lazily; load it once here so that no test waits for the transform.
  await import('../src/pages/flows/FlowEditor.tsx');
  // jsdom has no layout; the canvas library needs a ResizeObserver to exist. Nodes stay
  // unmeasured (hidden to queries unless asked for) and edges undrawn, which the e2e test covers.
  globalThis.ResizeObserver ??= class {
    observe() {}
    unobserve() {}
    disconnect() {}
  };
});
afterEach(() => vi.unstubAllGlobals());

describe('the flow editor page', { timeout: 90_000 }, () => {
  it('shows the check’s issues on their nodes, selects a node from the list, and saves the edit', async () => {
    const requests = fakeApi('admin');
    renderPage();
    await screen.findByRole('heading', { name: 'Flow of Booker' });
    expect(within(await card('greet')).getByText('initial')).toBeTruthy();

    await userEvent.click(screen.getByRole('button', { name: 'Validate' }));
    expect(await within(await card('bye')).findByText('1 error')).toBeTruthy();
    expect(within(await card('greet')).queryByText(/error/)).toBeNull();
    const list = screen.getByRole('region', { name: 'Issues (2)' });
    expect(within(list).getByText(/no node is marked initial/)).toBeTruthy();
    await userEvent.click(within(list).getByRole('button', { name: 'nodes.1.taskMessages.0' }));
    await screen.findByRole('heading', { name: 'Node bye' });

    const task = screen.getByLabelText('Task message 1');
    await userEvent.clear(task);
    await userEvent.type(task, 'Thank the caller.');
    await userEvent.click(screen.getByRole('button', { name: 'Save draft' }));
    await waitFor(() => expect(screen.getByRole('status').textContent).toBe('Draft saved as version 3.'));
    const saved = savedDefinition(requests);
    expect(saved.nodes[1]?.taskMessages).toEqual(['Thank the caller.']);
    expect(saved.nodes[0]?.functions?.[0]?.target).toBe('bye');
  });

  it('offers the built-in transfer_call to a node and saves it in its tools', async () => {
    const requests = fakeApi('admin');
    renderPage();
    fireEvent.click(await card('bye'));
    await screen.findByRole('heading', { name: 'Node bye' });
    const tools = screen.getByRole('group', { name: 'Tools' });
    await userEvent.click(within(tools).getByRole('checkbox', { name: /^transfer_call \(built in\)/ }));
    await userEvent.click(screen.getByRole('button', { name: 'Save draft' }));
    await waitFor(() => expect(requests.some((r) => r.method === 'PUT')).toBe(true));
    expect(savedDefinition(requests).nodes[1]?.toolIds).toEqual(['transfer_call']);
  });

  it('deletes the selected node with its transitions', async () => {
    const requests = fakeApi('admin');
    renderPage();
    // A click only: d3-drag's mousedown handler needs a window that user-event's events lack.
    fireEvent.click(await card('bye'));
    await screen.findByRole('heading', { name: 'Node bye' });
    await userEvent.click(screen.getByRole('button', { name: 'Delete node bye' }));
    await waitFor(() => expect(screen.queryByTestId('rf__node-bye')).toBeNull());
    await userEvent.click(screen.getByRole('button', { name: 'Save draft' }));
    await waitFor(() => expect(requests.some((r) => r.method === 'PUT')).toBe(true));
    const saved = savedDefinition(requests);
    expect(saved.nodes).toEqual([
      { key: 'greet', initial: true, position: { x: 0, y: 0 }, taskMessages: ['Greet the caller.'] },
    ]);
  });

  it('auto-layout moves the nodes to a top-down layout and saves their positions', async () => {
    const requests = fakeApi('admin');
    renderPage();
    const position = async (key: string) => (await card(key)).style.transform;
    expect(await position('greet')).toBe('translate(0px,0px)');
    expect(await position('bye')).toBe('translate(0px,200px)');

    await userEvent.click(screen.getByRole('button', { name: 'Auto-layout' }));
    // dagre, top to bottom, margins of 20 px, 220 × 96 px cards 90 px apart: greet on top,
    // bye under it (20 + 96 + 90 = 206), both in the one column.
    await waitFor(async () => expect(await position('bye')).toBe('translate(20px,206px)'));
    expect(await position('greet')).toBe('translate(20px,20px)');
    expect(screen.getByText('Unsaved changes')).toBeTruthy();

    await userEvent.click(screen.getByRole('button', { name: 'Save draft' }));
    await waitFor(() => expect(requests.some((r) => r.method === 'PUT')).toBe(true));
    expect(savedDefinition(requests).nodes.map((n) => [n.key, n.position])).toEqual([
      ['greet', { x: 20, y: 20 }],
      ['bye', { x: 20, y: 206 }],
    ]);
  });

  it('edits the global functions while no node is selected', async () => {
    const requests = fakeApi('admin');
    renderPage();
    const global = await screen.findByRole('group', { name: 'Global functions' });
    await userEvent.click(within(global).getByRole('button', { name: 'Add function' }));
    const name = screen.getByLabelText('Function 1 name');
    await userEvent.clear(name);
    await userEvent.type(name, 'start_over');
    await userEvent.type(
      screen.getByLabelText('Function 1: when to call it'),
      'The caller wants to start again.',
    );
    await userEvent.selectOptions(screen.getByLabelText('Function 1 target node'), 'greet');
    await userEvent.click(screen.getByRole('button', { name: 'Save draft' }));
    await waitFor(() => expect(requests.some((r) => r.method === 'PUT')).toBe(true));
    expect(savedDefinition(requests).globalFunctions).toEqual([
      { name: 'start_over', description: 'The caller wants to start again.', target: 'greet' },
    ]);
  });

  it('gives a viewer no way to change the flow', async () => {
    const requests = fakeApi('viewer');
    renderPage();
    await screen.findByText(/Read only/);
    expect(screen.queryByRole('button', { name: 'Save draft' })).toBeNull();
    expect(screen.queryByRole('button', { name: 'Add node' })).toBeNull();
    fireEvent.click(await card('greet'));
    expect(screen.getByLabelText('Task message 1').closest('fieldset')?.disabled).toBe(true);
    expect(requests.every((r) => r.method === 'GET')).toBe(true);
  });
});
