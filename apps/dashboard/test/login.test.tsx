import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { render, screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { MemoryRouter, Route, Routes } from 'react-router';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { LoginPage } from '../src/pages/auth/LoginPage.tsx';

function json(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
}

function renderLogin() {
  const client = new QueryClient({ defaultOptions: { queries: { retry: false } } });
  render(
    <QueryClientProvider client={client}>
      <MemoryRouter initialEntries={['/login']}>
        <Routes>
          <Route path="/login" element={<LoginPage />} />
          <Route path="/" element={<h1>Home</h1>} />
        </Routes>
      </MemoryRouter>
    </QueryClientProvider>,
  );
}

afterEach(() => vi.unstubAllGlobals());

describe('LoginPage', () => {
  it('shows each missing field at the field and sends nothing', async () => {
    const fetch = vi.fn(async (_url: string, _init?: RequestInit) =>
      json(401, { error: { code: 'unauthorized', message: 'Sign in' } }),
    );
    vi.stubGlobal('fetch', fetch);
    renderLogin();
    await userEvent.click(await screen.findByRole('button', { name: 'Sign in' }));
    expect(await screen.findByText('Enter your username')).toBeTruthy();
    expect(screen.getByText('Enter your password')).toBeTruthy();
    expect(screen.getByLabelText('Username').getAttribute('aria-invalid')).toBe('true');
    expect(fetch.mock.calls.some(([url]) => String(url) === '/api/auth/login')).toBe(false);
  });

  it("shows the server's refusal, then signs in and goes home", async () => {
    let signedIn = false;
    const fetch = vi.fn(async (url: string, init?: RequestInit) => {
      if (url === '/api/auth/me') {
        return signedIn
          ? json(200, { principal: { type: 'user', id: '1', name: 'admin', role: 'admin' }, csrfToken: 't' })
          : json(401, { error: { code: 'unauthorized', message: 'Sign in' } });
      }
      const body = JSON.parse(String(init?.body)) as { password: string };
      if (body.password !== 'right') {
        return json(401, { error: { code: 'invalid_credentials', message: 'Wrong username or password' } });
      }
      signedIn = true;
      return json(200, { csrfToken: 't' });
    });
    vi.stubGlobal('fetch', fetch);
    renderLogin();
    await userEvent.type(await screen.findByLabelText('Username'), 'admin');
    await userEvent.type(screen.getByLabelText('Password'), 'wrong');
    await userEvent.click(screen.getByRole('button', { name: 'Sign in' }));
    expect((await screen.findByRole('alert')).textContent).toContain('Wrong username or password');
    await userEvent.clear(screen.getByLabelText('Password'));
    await userEvent.type(screen.getByLabelText('Password'), 'right');
    await userEvent.click(screen.getByRole('button', { name: 'Sign in' }));
    await waitFor(() => expect(screen.getByRole('heading', { name: 'Home' })).toBeTruthy());
  });
});
