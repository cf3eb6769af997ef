import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { render, screen } from '@testing-library/react';
import { MemoryRouter, Route, Routes } from 'react-router';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { TestCallPage } from '../src/pages/live/TestCallPage.tsx';
import {
  addTranscriptMessage,
  EMPTY_TRANSCRIPT,
  type TranscriptState,
} from '../src/pages/live/testcall-transcript.ts';

function fold(...messages: Array<[role: 'user' | 'bot', text: string, final: boolean]>): TranscriptState {
  return messages.reduce(
    (state, [role, text, final]) => addTranscriptMessage(state, { role, text, final }),
    EMPTY_TRANSCRIPT,
  );
}

describe('the test call transcript', () => {
  it('replaces a provisional line with the next line of its role, keeping its place', () => {
    const state = fold(
      ['bot', 'Hello!', false],
      ['user', 'go for', false],
      ['bot', 'Hello! How can I help?', true],
      ['user', 'go forward ten meters', true],
    );
    expect(state.lines.map((l) => [l.role, l.text, l.final])).toEqual([
      ['bot', 'Hello! How can I help?', true],
      ['user', 'go forward ten meters', true],
    ]);
    expect(state.lines.map((l) => l.key)).toEqual([0, 1]);
  });

  it('adds a final line after a final line of the same role', () => {
    const state = fold(['user', 'one', true], ['user', 'two', true], ['bot', 'Okay.', true]);
    expect(state.lines.map((l) => l.text)).toEqual(['one', 'two', 'Okay.']);
  });
});

function json(body: unknown): Response {
  return new Response(JSON.stringify(body), { status: 200, headers: { 'content-type': 'application/json' } });
}

afterEach(() => vi.unstubAllGlobals());

describe('TestCallPage', () => {
  it('names the agent and lets a viewer not start a call', async () => {
    vi.stubGlobal(
      'fetch',
      vi.fn(async (url: string) =>
        url === '/api/auth/me'
          ? json({ principal: { type: 'user', id: 'u1', name: 'vera', role: 'viewer' } })
          : json({ id: 'demo', name: 'Demo agent' }),
      ),
    );
    const client = new QueryClient({ defaultOptions: { queries: { retry: false } } });
    render(
      <QueryClientProvider client={client}>
        <MemoryRouter initialEntries={['/agents/demo/test-call']}>
          <Routes>
            <Route path="/agents/:agentId/test-call" element={<TestCallPage />} />
          </Routes>
        </MemoryRouter>
      </QueryClientProvider>,
    );
    expect(
      await screen.findByRole('heading', { name: 'Test call: Demo agent' }, { timeout: 5000 }),
    ).toBeTruthy();
    expect(await screen.findByText('Test calls need the editor role.')).toBeTruthy();
    expect(screen.getByRole('button', { name: 'Start call' }).hasAttribute('disabled')).toBe(true);
    expect(screen.getByRole('button', { name: 'End call' }).hasAttribute('disabled')).toBe(true);
  });
});
