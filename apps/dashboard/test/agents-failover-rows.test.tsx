import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { json, renderAgents, requests, SUPPORT, stubApi } from './agents-fixtures.tsx';

afterEach(() => vi.unstubAllGlobals());

describe('the agent form: fallback services', () => {
  it('removing a fallback leaves the settings of the next one as they were', async () => {
    const stored = {
      ...SUPPORT,
      config: {
        ...SUPPORT.config,
        failover: {
          llm: [
            { provider: 'openai', model: 'gpt-4o', baseUrl: 'https://llm-a.example.com/v1' },
            { provider: 'openai' },
          ],
        },
      },
    };
    const fetch = stubApi('editor', (url) => (url === '/api/agents/support' ? json(200, stored) : undefined));
    renderAgents('/agents/support');
    await screen.findByRole('button', { name: 'Save agent' });
    await userEvent.click(screen.getByRole('button', { name: 'Remove fallback language model 1' }));
    const left = screen.getByRole('group', { name: 'Fallback language model 1' });
    expect((within(left).getByLabelText('Base URL') as HTMLInputElement).value).toBe('');
    await userEvent.click(screen.getByRole('button', { name: 'Save agent' }));
    await waitFor(() => expect(requests(fetch, 'PUT', '/api/agents/support')).toHaveLength(1));
    const body = requests(fetch, 'PUT', '/api/agents/support')[0] as { config: { failover: unknown } };
    expect(body.config.failover).toEqual({ llm: [{ provider: 'openai' }] });
    // "Saved." stands until something changes, a removed row included.
    expect(await screen.findByText('Saved.')).toBeTruthy();
    await userEvent.click(screen.getByRole('button', { name: 'Remove fallback language model 1' }));
    expect(screen.queryByText('Saved.')).toBeNull();
  }, 60_000);
});
