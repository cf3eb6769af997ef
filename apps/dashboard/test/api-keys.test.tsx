import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { configure, fireEvent, render, screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { MemoryRouter } from 'react-router';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ApiKeysPage } from '../src/pages/settings/ApiKeysPage.tsx';

// A loaded machine can take seconds to render a page.
configure({ asyncUtilTimeout: 10_000 });

function json(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
}

const SECRET = 'pk_Ab12cD34_the-whole-secret-key-value';

/** A fake `/api/api-keys`: lists what was created (prefix only), answers the key once on creation. */
function stubApi() {
  const keys: Record<string, unknown>[] = [];
  const calls: { key: string; body: unknown }[] = [];
  vi.stubGlobal(
    'fetch',
    vi.fn(async (url: string, init?: RequestInit) => {
      const key = `${init?.method ?? 'GET'} ${url}`;
      const body =
        init?.body === undefined ? undefined : (JSON.parse(String(init.body)) as Record<string, unknown>);
      calls.push({ key, body });
      if (key === 'GET /api/auth/me') {
        return json(200, {
          principal: { type: 'user', id: '1', name: 'admin', role: 'admin' },
          csrfToken: 't',
        });
      }
      if (key === 'GET /api/api-keys') return json(200, { apiKeys: keys });
      if (key === 'POST /api/api-keys') {
        const stored = {
          id: 'k1',
          name: body?.name,
          role: body?.role,
          prefix: 'pk_Ab12cD34',
          createdBy: '1',
          createdAt: '2026-01-01T00:00:00Z',
          lastUsedAt: null,
          revokedAt: null,
        };
        keys.push(stored);
        return json(201, { ...stored, key: SECRET });
      }
      if (key === 'DELETE /api/api-keys/k1') {
        keys[0] = { ...keys[0], revokedAt: '2026-01-02T00:00:00Z' };
        return new Response(null, { status: 204 });
      }
      return json(404, { error: { code: 'not_found', message: `no ${key}` } });
    }),
  );
  return calls;
}

function renderPage() {
  const client = new QueryClient({ defaultOptions: { queries: { retry: false } } });
  render(
    <QueryClientProvider client={client}>
      <MemoryRouter>
        <ApiKeysPage />
      </MemoryRouter>
    </QueryClientProvider>,
  );
}

afterEach(() => vi.unstubAllGlobals());

describe('the API keys page', () => {
  it('asks for a name before creating a key', async () => {
    const calls = stubApi();
    renderPage();
    await userEvent.click(await screen.findByRole('button', { name: 'Create key' }));
    expect(await screen.findByText('Name the key after who uses it')).toBeTruthy();
    expect(calls.some((c) => c.key === 'POST /api/api-keys')).toBe(false);
  });

  it('shows a new key once, with a copy button, then only its prefix', async () => {
    const calls = stubApi();
    const writeText = vi.fn(async (_text: string) => undefined);
    Object.defineProperty(navigator, 'clipboard', { value: { writeText }, configurable: true });
    renderPage();
    await screen.findByText('No API keys yet.');
    fireEvent.change(screen.getByLabelText('Key name'), { target: { value: 'CRM sync' } });
    await userEvent.selectOptions(screen.getByLabelText('Key role'), 'editor');
    await userEvent.click(screen.getByRole('button', { name: 'Create key' }));
    expect(((await screen.findByLabelText('New API key')) as HTMLInputElement).value).toBe(SECRET);
    expect(calls.find((c) => c.key === 'POST /api/api-keys')?.body).toEqual({
      name: 'CRM sync',
      role: 'editor',
    });

    await userEvent.click(screen.getByRole('button', { name: 'Copy key' }));
    expect(writeText).toHaveBeenCalledWith(SECRET);
    expect(await screen.findByText('Copied.')).toBeTruthy();

    // The list shows the prefix only; once hidden, the key is nowhere on the page.
    expect(await screen.findByText('pk_Ab12cD34…')).toBeTruthy();
    await userEvent.click(screen.getByRole('button', { name: 'Done, hide it' }));
    expect(screen.queryByLabelText('New API key')).toBeNull();
    expect(document.body.innerHTML).not.toContain(SECRET);
  });

  it('revokes a key after a confirmation', async () => {
    const calls = stubApi();
    renderPage();
    await screen.findByText('No API keys yet.');
    fireEvent.change(screen.getByLabelText('Key name'), { target: { value: 'old' } });
    await userEvent.click(screen.getByRole('button', { name: 'Create key' }));
    await userEvent.click(await screen.findByRole('button', { name: 'Revoke old' }));
    await userEvent.click(screen.getByRole('button', { name: 'Yes, revoke' }));
    expect(await screen.findByText(/^Revoked /)).toBeTruthy();
    await waitFor(() => expect(calls.some((c) => c.key === 'DELETE /api/api-keys/k1')).toBe(true));
  });
});
