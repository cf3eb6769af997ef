import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { configure, fireEvent, render, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { MemoryRouter } from 'react-router';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { TelephonyPage } from '../src/pages/settings/TelephonyPage.tsx';

// A loaded machine can take seconds to render a page.
configure({ asyncUtilTimeout: 10_000 });

function json(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
}

const STORED = {
  defaultProvider: 'twilio',
  maxConcurrentCalls: 5,
  twilio: { accountSid: 'AC0123456789abcdef0123456789abcdef', credential: 'twilio' },
  exotel: { accountSid: 'acme1', apiKey: 'exo-key' },
  vobiz: { authId: 'MA_TEST', credential: 'vobiz-main', apiBaseUrl: 'https://api.vobiz.ai/api/v1' },
  updatedAt: '2026-01-01T00:00:00Z',
};

function stubApi(role: 'admin' | 'viewer', handlers: Record<string, (body: unknown) => Response> = {}) {
  const calls: { key: string; body: unknown }[] = [];
  vi.stubGlobal(
    'fetch',
    vi.fn(async (url: string, init?: RequestInit) => {
      const key = `${init?.method ?? 'GET'} ${url}`;
      const body = init?.body === undefined ? undefined : JSON.parse(String(init.body));
      calls.push({ key, body });
      if (key === 'GET /api/auth/me') {
        return json(200, { principal: { type: 'user', id: '1', name: role, role }, csrfToken: 't' });
      }
      if (key === 'GET /api/telephony-settings') return json(200, STORED);
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
        <TelephonyPage />
      </MemoryRouter>
    </QueryClientProvider>,
  );
}

afterEach(() => vi.unstubAllGlobals());

describe('the telephony settings page', () => {
  it('shows each secret only as set or not set, and sends a replaced one once', async () => {
    const calls = stubApi('admin', {
      'PUT /api/telephony-settings': () =>
        json(200, {
          ...STORED,
          exotel: { ...STORED.exotel, credential: 'exotel' },
          updatedAt: '2026-01-02T00:00:00Z',
        }),
    });
    renderPage();
    await screen.findByRole('button', { name: 'Save settings' });
    expect(screen.getByText(/Twilio auth token:/).textContent).toMatch(/set \(credential “twilio”\)/);
    expect(screen.getByText(/Exotel API token:/).textContent).toMatch(/not set/);
    for (const label of [
      'Replace Twilio auth token',
      'Replace Exotel API token',
      'Replace Vobiz auth token',
    ]) {
      const input = screen.getByLabelText(label) as HTMLInputElement;
      expect(input.type).toBe('password');
      expect(input.value).toBe('');
    }
    fireEvent.change(screen.getByLabelText('Replace Exotel API token'), {
      target: { value: 'new-exotel-token' },
    });
    await userEvent.click(screen.getByRole('button', { name: 'Save settings' }));
    await screen.findByText('Saved.');
    const put = calls.find((c) => c.key === 'PUT /api/telephony-settings');
    expect(put?.body).toEqual({
      defaultProvider: 'twilio',
      maxConcurrentCalls: 5,
      twilio: { accountSid: 'AC0123456789abcdef0123456789abcdef', credential: 'twilio' },
      exotel: { accountSid: 'acme1', apiKey: 'exo-key', apiToken: 'new-exotel-token' },
      vobiz: { authId: 'MA_TEST', credential: 'vobiz-main', apiBaseUrl: 'https://api.vobiz.ai/api/v1' },
    });
    // The new token left the form: only "set" remains.
    expect((screen.getByLabelText('Replace Exotel API token') as HTMLInputElement).value).toBe('');
    expect(screen.getByText(/Exotel API token:/).textContent).toMatch(/set \(credential “exotel”\)/);
    expect(document.body.innerHTML).not.toContain('new-exotel-token');
  });

  it("shows the API's issues at their fields", async () => {
    stubApi('admin', {
      'PUT /api/telephony-settings': () =>
        json(400, {
          error: {
            code: 'invalid_settings',
            message: 'Invalid telephony settings',
            issues: ['twilio.accountSid: a Twilio account SID: AC and 32 hex digits'],
          },
        }),
    });
    renderPage();
    await screen.findByRole('button', { name: 'Save settings' });
    fireEvent.change(screen.getByLabelText('Twilio account SID'), { target: { value: 'nope' } });
    await userEvent.click(screen.getByRole('button', { name: 'Save settings' }));
    expect(await screen.findByText('a Twilio account SID: AC and 32 hex digits')).toBeTruthy();
    expect(screen.getByLabelText('Twilio account SID').getAttribute('aria-invalid')).toBe('true');
  });

  it("tests a provider's connection and shows the answer", async () => {
    const calls = stubApi('admin', {
      'POST /api/telephony-settings/test': () =>
        json(200, {
          ok: false,
          provider: 'vobiz',
          status: 401,
          message: 'Vobiz refused the credentials (HTTP 401)',
        }),
    });
    renderPage();
    await userEvent.click(await screen.findByRole('button', { name: 'Test Vobiz connection' }));
    expect(await screen.findByText('Vobiz refused the credentials (HTTP 401)')).toBeTruthy();
    expect(calls.find((c) => c.key === 'POST /api/telephony-settings/test')?.body).toEqual({
      provider: 'vobiz',
    });
  });

  it('lets a viewer read but not change or test', async () => {
    stubApi('viewer');
    renderPage();
    await screen.findByText('Only admins can change these settings.');
    expect(screen.queryByRole('button', { name: 'Save settings' })).toBeNull();
    expect(screen.queryByRole('button', { name: /Test .* connection/ })).toBeNull();
    expect(screen.getByLabelText('Twilio account SID').matches(':disabled')).toBe(true);
  });
});
