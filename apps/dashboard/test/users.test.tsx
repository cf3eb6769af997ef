import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { configure, fireEvent, render, screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { MemoryRouter } from 'react-router';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { UsersPage } from '../src/pages/settings/UsersPage.tsx';

// A loaded machine can take seconds to render a page.
configure({ asyncUtilTimeout: 10_000 });

function json(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
}

const USERS = [
  {
    id: '1',
    username: 'admin',
    role: 'admin',
    createdAt: '2026-01-01T00:00:00Z',
    updatedAt: '2026-01-01T00:00:00Z',
  },
  {
    id: '2',
    username: 'sam',
    role: 'viewer',
    createdAt: '2026-01-01T00:00:00Z',
    updatedAt: '2026-01-01T00:00:00Z',
  },
];

function stubApi(handlers: Record<string, (body: unknown) => Response>) {
  const calls: { key: string; body: unknown }[] = [];
  vi.stubGlobal(
    'fetch',
    vi.fn(async (url: string, init?: RequestInit) => {
      const key = `${init?.method ?? 'GET'} ${url}`;
      const body = init?.body === undefined ? undefined : JSON.parse(String(init.body));
      calls.push({ key, body });
      if (key === 'GET /api/auth/me') {
        return json(200, {
          principal: { type: 'user', id: '1', name: 'admin', role: 'admin' },
          csrfToken: 't',
        });
      }
      if (key === 'GET /api/users') return json(200, { users: USERS });
      const handler = handlers[key];
      return handler ? handler(body) : json(404, { error: { code: 'not_found', message: `no ${key}` } });
    }),
  );
  return calls;
}

function renderPage() {
  const client = new QueryClient({ defaultOptions: { queries: { retry: false } } });
  render(
    <QueryClientProvider client={client}>
      <MemoryRouter>
        <UsersPage />
      </MemoryRouter>
    </QueryClientProvider>,
  );
}

afterEach(() => vi.unstubAllGlobals());

describe('the users page', () => {
  it('checks a new user before sending, then shows the refusal of a taken username', async () => {
    const calls = stubApi({
      'POST /api/users': () =>
        json(409, { error: { code: 'username_taken', message: 'Username sam is taken' } }),
    });
    renderPage();
    await screen.findByText('sam');
    fireEvent.change(screen.getByLabelText('Username'), { target: { value: 'sam' } });
    fireEvent.change(screen.getByLabelText('Password'), { target: { value: 'short' } });
    await userEvent.click(screen.getByRole('button', { name: 'Add user' }));
    expect(await screen.findByText('At least 10 characters', { selector: '.field-error' })).toBeTruthy();
    expect(calls.some((c) => c.key === 'POST /api/users')).toBe(false);

    fireEvent.change(screen.getByLabelText('Password'), { target: { value: 'long-enough-password' } });
    await userEvent.selectOptions(screen.getByLabelText('Role'), 'editor');
    await userEvent.click(screen.getByRole('button', { name: 'Add user' }));
    expect((await screen.findByRole('alert')).textContent).toContain('Username sam is taken');
    expect(calls.find((c) => c.key === 'POST /api/users')?.body).toEqual({
      username: 'sam',
      password: 'long-enough-password',
      role: 'editor',
    });
  });

  it("changes a user's role, and shows why the last admin cannot be demoted", async () => {
    const calls = stubApi({
      'PATCH /api/users/2': (body) => json(200, { ...USERS[1], ...(body as object) }),
      'PATCH /api/users/1': () =>
        json(409, {
          error: { code: 'last_admin', message: 'admin is the last admin: make another admin first' },
        }),
    });
    renderPage();
    await userEvent.selectOptions(await screen.findByLabelText('Role of sam'), 'editor');
    await waitFor(() =>
      expect(calls.find((c) => c.key === 'PATCH /api/users/2')?.body).toEqual({ role: 'editor' }),
    );
    await userEvent.selectOptions(screen.getByLabelText('Role of admin'), 'viewer');
    expect((await screen.findByRole('alert')).textContent).toContain('the last admin');
  });

  it('deletes a user after a confirmation', async () => {
    const calls = stubApi({ 'DELETE /api/users/2': () => new Response(null, { status: 204 }) });
    renderPage();
    await userEvent.click(await screen.findByRole('button', { name: 'Delete sam' }));
    expect(calls.some((c) => c.key === 'DELETE /api/users/2')).toBe(false);
    await userEvent.click(screen.getByRole('button', { name: 'Yes, delete' }));
    await waitFor(() => expect(calls.some((c) => c.key === 'DELETE /api/users/2')).toBe(true));
  });
});
