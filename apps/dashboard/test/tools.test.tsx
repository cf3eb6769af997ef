import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { configure, fireEvent, render, screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { MemoryRouter, Route, Routes } from 'react-router';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ToolEditPage } from '../src/pages/tools/ToolEditPage.tsx';

// A loaded machine can take seconds to render a page.
configure({ asyncUtilTimeout: 10_000 });

function json(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
}

type Handler = (init: RequestInit | undefined) => Response;

/** Stubs `fetch` with handlers by `METHOD /path`; the session is an admin's. Returns the calls made. */
function stubApi(handlers: Record<string, Handler>) {
  const calls: { key: string; body: unknown }[] = [];
  const fetch = vi.fn(async (url: string, init?: RequestInit) => {
    const key = `${init?.method ?? 'GET'} ${url}`;
    calls.push({ key, body: init?.body === undefined ? undefined : JSON.parse(String(init.body)) });
    if (key === 'GET /api/auth/me') {
      return json(200, {
        principal: { type: 'user', id: '1', name: 'admin', role: 'admin' },
        csrfToken: 't',
      });
    }
    if (key === 'GET /api/credentials') return json(200, { credentials: [] });
    const handler = handlers[key];
    return handler ? handler(init) : json(404, { error: { code: 'not_found', message: `no ${key}` } });
  });
  vi.stubGlobal('fetch', fetch);
  return calls;
}

function renderAt(path: string) {
  const client = new QueryClient({ defaultOptions: { queries: { retry: false } } });
  render(
    <QueryClientProvider client={client}>
      <MemoryRouter initialEntries={[path]}>
        <Routes>
          <Route path="/tools/new" element={<ToolEditPage />} />
          <Route path="/tools/:toolId" element={<ToolEditPage />} />
          <Route path="/tools" element={<h1>Tools list</h1>} />
        </Routes>
      </MemoryRouter>
    </QueryClientProvider>,
  );
}

const LOOKUP = {
  id: 'order-status',
  name: 'get_order_status',
  description: 'Looks an order up',
  parameters: { type: 'object', properties: { order: { type: 'string' } }, required: ['order'] },
  url: 'https://shop.example.com/orders/{{order}}',
  method: 'GET',
  headers: { Authorization: { credential: 'shop', field: 'token', prefix: 'Bearer ' } },
  timeoutSecs: 10,
  retries: 0,
  maxResponseChars: 2000,
  createdAt: '2026-01-01T00:00:00Z',
  updatedAt: '2026-01-01T00:00:00Z',
};

async function fillNewTool(parameters: string) {
  const set = (label: string, value: string) =>
    fireEvent.change(screen.getByLabelText(label), { target: { value } });
  await screen.findByRole('button', { name: 'Create tool' });
  set('Tool id', 'order-status');
  set('Function name', 'get_order_status');
  set('Description', 'Looks an order up');
  set('Parameters (JSON Schema)', parameters);
  set('URL', 'http://127.0.0.1:8080/orders');
}

afterEach(() => vi.unstubAllGlobals());

describe('the tool form', () => {
  it('shows a parameters text that is not a JSON Schema object at its field, and sends nothing', async () => {
    const calls = stubApi({});
    renderAt('/tools/new');
    await fillNewTool('{ "type": "object", ');
    await userEvent.click(screen.getByRole('button', { name: 'Create tool' }));
    expect(await screen.findByText(/^Not valid JSON/)).toBeTruthy();
    expect(screen.getByLabelText('Parameters (JSON Schema)').getAttribute('aria-invalid')).toBe('true');

    fireEvent.change(screen.getByLabelText('Parameters (JSON Schema)'), {
      target: { value: '{ "type": "string" }' },
    });
    await userEvent.click(screen.getByRole('button', { name: 'Create tool' }));
    expect(await screen.findByText('The root must be { "type": "object", … }')).toBeTruthy();
    expect(calls.some((c) => c.key.startsWith('PUT '))).toBe(false);
  });

  it('refuses to replace an existing tool from the new tool form', async () => {
    const calls = stubApi({ 'GET /api/tools/order-status': () => json(200, LOOKUP) });
    renderAt('/tools/new');
    await fillNewTool('{ "type": "object" }');
    await userEvent.click(screen.getByRole('button', { name: 'Create tool' }));
    expect(
      await screen.findByText('a tool with this id exists; open it from the list to change it'),
    ).toBeTruthy();
    expect(screen.getByLabelText('Tool id').getAttribute('aria-invalid')).toBe('true');
    expect(calls.some((c) => c.key.startsWith('PUT '))).toBe(false);
  });

  it("shows the API's issues at the fields they concern", async () => {
    const calls = stubApi({
      'PUT /api/tools/order-status': () =>
        json(400, {
          error: {
            code: 'invalid_tool',
            message: 'Invalid tool order-status',
            issues: [
              'parameters.properties.order.type: must be equal to one of the allowed values',
              'url: 127.0.0.1 is a loopback address; Parley does not send requests there unless EGRESS_ALLOW allows it',
            ],
          },
        }),
    });
    renderAt('/tools/new');
    await fillNewTool('{ "type": "object", "properties": { "order": { "type": "text" } } }');
    await userEvent.click(screen.getByRole('button', { name: 'Create tool' }));
    expect(await screen.findByText('must be equal to one of the allowed values')).toBeTruthy();
    expect(screen.getByLabelText('Parameters (JSON Schema)').getAttribute('aria-invalid')).toBe('true');
    expect(screen.getByText(/is a loopback address/)).toBeTruthy();
    expect(screen.getByLabelText('URL').getAttribute('aria-invalid')).toBe('true');
    const put = calls.find((c) => c.key === 'PUT /api/tools/order-status');
    expect(put?.body).toMatchObject({
      name: 'get_order_status',
      parameters: { type: 'object', properties: { order: { type: 'text' } } },
      url: 'http://127.0.0.1:8080/orders',
      method: 'POST',
      headers: {},
      timeoutSecs: 10,
    });
  });

  it('tries the saved tool with sample arguments and shows the request sent and the response', async () => {
    const calls = stubApi({
      'GET /api/tools/order-status': () => json(200, LOOKUP),
      'POST /api/tools/order-status/test': () =>
        json(200, {
          ok: true,
          status: 200,
          durationMs: 42,
          attempts: 1,
          request: {
            method: 'GET',
            url: 'https://shop.example.com/orders/example',
            headers: { Authorization: '***', accept: 'application/json' },
          },
          response: { status: 200, body: '{"status":"shipped"}' },
          result: '{"status":"shipped"}',
        }),
    });
    renderAt('/tools/order-status');
    expect(await screen.findByRole('heading', { name: 'Tool order-status' })).toBeTruthy();
    // The credential header is shown by name, never by value.
    expect((screen.getByLabelText('Credential') as HTMLInputElement).value).toBe('shop');
    expect(
      ((await screen.findByLabelText('Sample arguments (JSON)')) as HTMLTextAreaElement).value,
    ).toContain('"order": "example"');
    await userEvent.click(screen.getByRole('button', { name: 'Run tool' }));
    expect(await screen.findByText(/Succeeded/)).toBeTruthy();
    expect(screen.getByText(/with HTTP 200/)).toBeTruthy();
    expect(screen.getByText('https://shop.example.com/orders/example')).toBeTruthy();
    expect(screen.getByText('***')).toBeTruthy();
    expect(screen.getAllByText('{"status":"shipped"}').length).toBe(2);
    expect(screen.getByText('42 ms')).toBeTruthy();
    expect(calls.find((c) => c.key === 'POST /api/tools/order-status/test')?.body).toEqual({
      arguments: { order: 'example' },
      variables: {},
    });
  });

  it('shows arguments the tool refuses at the arguments field, and a refused request as a failure', async () => {
    let answer = 0;
    stubApi({
      'GET /api/tools/order-status': () => json(200, LOOKUP),
      'POST /api/tools/order-status/test': () =>
        answer++ === 0
          ? json(400, {
              error: {
                code: 'invalid_arguments',
                message: 'The arguments do not fit the tool',
                issues: ["(root): must have required property 'order'"],
              },
            })
          : json(200, {
              ok: false,
              durationMs: 3,
              attempts: 1,
              request: { method: 'GET', url: 'http://localhost:9/orders/1', headers: {} },
              result: '{"error":"refused"}',
              error: 'localhost resolves to 127.0.0.1, a loopback address: Parley does not connect there',
            }),
    });
    renderAt('/tools/order-status');
    const args = await screen.findByLabelText('Sample arguments (JSON)');
    fireEvent.change(args, { target: { value: '{}' } });
    await userEvent.click(screen.getByRole('button', { name: 'Run tool' }));
    expect(await screen.findByText("(root): must have required property 'order'")).toBeTruthy();
    expect(args.getAttribute('aria-invalid')).toBe('true');
    await userEvent.click(screen.getByRole('button', { name: 'Run tool' }));
    expect(await screen.findByText(/Failed in 3 ms: localhost resolves to 127.0.0.1/)).toBeTruthy();
    expect(screen.getByText('No response.')).toBeTruthy();
  });

  it('shows why a tool in use cannot be deleted', async () => {
    stubApi({
      'GET /api/tools/order-status': () => json(200, LOOKUP),
      'DELETE /api/tools/order-status': () =>
        json(409, {
          error: {
            code: 'tool_in_use',
            message: 'Tool order-status is in use',
            issues: ['agent support (flow node lookup)'],
          },
        }),
    });
    renderAt('/tools/order-status');
    await userEvent.click(await screen.findByRole('button', { name: 'Delete tool' }));
    await userEvent.click(screen.getByRole('button', { name: 'Yes, delete' }));
    const alert = await screen.findByText(/Tool order-status is in use/);
    expect(alert.closest('[role="alert"]')?.textContent).toContain('agent support (flow node lookup)');
    await waitFor(() => expect(screen.queryByRole('heading', { name: 'Tools list' })).toBeNull());
  });
});
