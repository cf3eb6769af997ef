import { screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { json, renderAgents, requests, stubApi } from './agents-fixtures.tsx';

afterEach(() => vi.unstubAllGlobals());

describe('deleting an agent', () => {
  it("asks first, shows the server's refusal, then deletes and goes back to the list", async () => {
    let refuse = true;
    const fetch = stubApi('editor', (url, init) => {
      if (url !== '/api/agents/support' || init?.method !== 'DELETE') return undefined;
      if (!refuse) return json(204, undefined);
      refuse = false;
      return json(409, {
        error: {
          code: 'agent_has_live_calls',
          message: 'Agent support is on 1 live call(s); try again once they end',
        },
      });
    });
    renderAgents('/agents/support');
    await userEvent.click(await screen.findByRole('button', { name: 'Delete' }));
    expect(requests(fetch, 'DELETE', '/api/agents/support')).toEqual([]);

    await userEvent.click(screen.getByRole('button', { name: 'Yes, delete support' }));
    expect((await screen.findByRole('alert')).textContent).toContain('1 live call');

    // The question closed with the refusal shown on the page: asked again, it deletes.
    await userEvent.click(screen.getByRole('button', { name: 'Delete' }));
    await userEvent.click(await screen.findByRole('button', { name: 'Yes, delete support' }));
    expect(await screen.findByText('Agent support deleted.')).toBeTruthy();
    expect(screen.getByRole('heading', { name: 'Agents' })).toBeTruthy();
    await waitFor(() => expect(requests(fetch, 'DELETE', '/api/agents/support')).toHaveLength(2));
  }, 60_000);

  it('can be cancelled', async () => {
    const fetch = stubApi('admin');
    renderAgents('/agents/support');
    await userEvent.click(await screen.findByRole('button', { name: 'Delete' }));
    await userEvent.click(screen.getByRole('button', { name: 'Cancel' }));
    expect(screen.getByRole('button', { name: 'Delete' })).toBeTruthy();
    expect(requests(fetch, 'DELETE', '/api/agents/support')).toEqual([]);
  }, 60_000);
});
