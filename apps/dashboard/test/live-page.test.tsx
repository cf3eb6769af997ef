import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { act, render, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { MemoryRouter } from 'react-router';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { LivePage } from '../src/pages/live/LivePage.tsx';

/** A stand-in for the browser's EventSource: the test pushes messages. */
class FakeEventSource {
  static readonly CLOSED = 2;
  static last: FakeEventSource | undefined;
  readyState = 1;
  onopen: (() => void) | null = null;
  onerror: (() => void) | null = null;
  onmessage: ((event: MessageEvent<string>) => void) | null = null;
  closed = false;
  constructor(readonly url: string) {
    FakeEventSource.last = this;
  }
  push(message: unknown): void {
    act(() => this.onmessage?.(new MessageEvent('message', { data: JSON.stringify(message) })));
  }
  close(): void {
    this.closed = true;
  }
}

function json(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
}

const CALL = {
  id: '6f1c1a9e-0000-4000-8000-000000000001',
  agentId: 'demo',
  agentName: 'Demo agent',
  provider: 'twilio',
  direction: 'inbound',
  from: '+15551230000',
  to: '+15557654321',
  startedAt: new Date().toISOString(),
};

function renderLive(role: 'viewer' | 'editor') {
  const fetch = vi.fn(async (url: string, _init?: RequestInit) => {
    if (url === '/api/auth/me')
      return json(200, { principal: { type: 'user', id: '1', name: 'pat', role }, csrfToken: 'csrf-1' });
    return json(200, { id: CALL.id, status: 'completed' });
  });
  vi.stubGlobal('fetch', fetch);
  vi.stubGlobal('EventSource', FakeEventSource);
  const client = new QueryClient({ defaultOptions: { queries: { retry: false } } });
  const view = render(
    <QueryClientProvider client={client}>
      <MemoryRouter>
        <LivePage />
      </MemoryRouter>
    </QueryClientProvider>,
  );
  return { fetch, view, source: () => FakeEventSource.last! };
}

afterEach(() => vi.unstubAllGlobals());

describe('LivePage', () => {
  it('lists live calls with their transcript and lets an editor end one after confirming', async () => {
    const { fetch, source } = renderLive('editor');
    expect(source().url).toBe('/api/live');
    source().push({ kind: 'snapshot', calls: [] });
    expect(await screen.findByText(/No calls in progress/)).toBeTruthy();
    source().push({ kind: 'call_started', call: CALL });
    source().push({
      kind: 'event',
      callId: CALL.id,
      event: { type: 'user_spoke', at: new Date().toISOString(), data: { text: 'I would like a table' } },
    });
    const card = await screen.findByRole('article', { name: /Demo agent/ });
    expect(within(card).getByRole('log').textContent).toContain('I would like a table');
    expect(within(card).getByText('+15551230000')).toBeTruthy();

    await userEvent.click(await within(card).findByRole('button', { name: 'End call' }));
    const dialog = await screen.findByRole('alertdialog', { name: /End the call with Demo agent/ });
    // Focus starts on Cancel: Enter does not hang up by accident.
    await waitFor(() =>
      expect(document.activeElement).toBe(within(dialog).getByRole('button', { name: 'Cancel' })),
    );
    await userEvent.click(within(dialog).getByRole('button', { name: 'Yes, end the call' }));
    await waitFor(() =>
      expect(fetch.mock.calls.some(([url]) => url === `/api/calls/${CALL.id}/end`)).toBe(true),
    );
    const [, init] = fetch.mock.calls.find(([url]) => url === `/api/calls/${CALL.id}/end`)!;
    expect(init).toMatchObject({ method: 'POST', headers: { 'x-csrf-token': 'csrf-1' } });

    source().push({ kind: 'call_ended', callId: CALL.id });
    await waitFor(() => expect(screen.queryByRole('article')).toBeNull());
  });

  it('cancelling the confirmation ends nothing', async () => {
    const { fetch, source } = renderLive('editor');
    source().push({ kind: 'snapshot', calls: [{ call: CALL, events: [] }] });
    await userEvent.click(await screen.findByRole('button', { name: 'End call' }));
    await userEvent.click(screen.getByRole('button', { name: 'Cancel' }));
    expect(screen.getByRole('button', { name: 'End call' })).toBeTruthy();
    expect(fetch.mock.calls.some(([url]) => String(url).endsWith('/end'))).toBe(false);
  });

  it('shows a viewer no End call button', async () => {
    const { fetch, source } = renderLive('viewer');
    source().push({ kind: 'snapshot', calls: [{ call: CALL, events: [] }] });
    await screen.findByRole('article', { name: /Demo agent/ });
    await waitFor(() => expect(fetch).toHaveBeenCalled());
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(screen.queryByRole('button', { name: 'End call' })).toBeNull();
  });

  it('closes the stream when the page goes away', () => {
    const { view, source } = renderLive('viewer');
    view.unmount();
    expect(source().closed).toBe(true);
  });
});
