import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { json, renderAgents, requests, SUPPORT, stubApi } from './agents-fixtures.tsx';

afterEach(() => vi.unstubAllGlobals());

describe('the agents list', () => {
  it('lists each agent with its services and links to its settings, flow and test call', async () => {
    stubApi('editor');
    renderAgents('/agents');
    const row = (await screen.findByRole('link', { name: 'Support line' })).closest('tr');
    if (!row) throw new Error('no row');
    expect(row.textContent).toContain('support');
    expect(row.textContent).toContain('en-US');
    expect(row.textContent).toContain('openai gpt-4o-mini');
    expect(row.textContent).toContain('local kal');
    expect(within(row).getByRole('link', { name: 'Flow of Support line' }).getAttribute('href')).toBe(
      '/agents/support/flow',
    );
    expect(within(row).getByRole('link', { name: 'Test call with Support line' }).getAttribute('href')).toBe(
      '/agents/support/test-call',
    );
    expect(screen.getByRole('link', { name: 'New agent' })).toBeTruthy();
  }, 60_000);

  it('hides "New agent" and the generator from a viewer', async () => {
    stubApi('viewer');
    renderAgents('/agents');
    await screen.findByRole('link', { name: 'Support line' });
    expect(screen.queryByRole('link', { name: 'New agent' })).toBeNull();
    expect(screen.queryByRole('button', { name: 'Generate agent' })).toBeNull();
  }, 60_000);

  it('shows why the generator refused, then opens the agent it saved', async () => {
    let attempt = 0;
    const fetch = stubApi('editor', (url) => {
      if (url !== '/api/agents/generate') return undefined;
      attempt++;
      return attempt === 1
        ? json(422, {
            error: {
              code: 'generation_refused',
              message: 'The LLM did not write a valid agent',
              issues: ['config.prompt: Required'],
            },
          })
        : json(201, { agent: SUPPORT, flow: null, repaired: false });
    });
    renderAgents('/agents');
    const description = await screen.findByLabelText('What should the agent do?');
    await userEvent.type(description, 'short');
    await userEvent.click(screen.getByRole('button', { name: 'Generate agent' }));
    expect(await screen.findByText('Describe the agent in at least 10 characters')).toBeTruthy();
    expect(requests(fetch, 'POST', '/api/agents/generate')).toEqual([]);

    await userEvent.type(description, ' line that answers questions about orders');
    await userEvent.click(screen.getByRole('button', { name: 'Generate agent' }));
    const alert = await screen.findByRole('alert');
    expect(alert.textContent).toContain('The LLM did not write a valid agent');
    expect(alert.textContent).toContain('config.prompt: Required');

    await userEvent.click(screen.getByRole('button', { name: 'Generate agent' }));
    expect(await screen.findByRole('heading', { name: 'Support line' })).toBeTruthy();
    expect(screen.getByText('Agent created.')).toBeTruthy();
    expect(requests(fetch, 'POST', '/api/agents/generate')[0]).toEqual({
      description: 'short line that answers questions about orders',
    });
  }, 60_000);

  it('duplicates an agent under a new id and refuses an id that is taken', async () => {
    let created: unknown;
    const fetch = stubApi('editor', (url, init) => {
      if (url !== '/api/agents/support-2') return undefined;
      if (init?.method === 'PUT') {
        const body = JSON.parse(String(init.body)) as { name: string; config: unknown };
        created = { ...SUPPORT, id: 'support-2', ...body };
        return json(201, created);
      }
      return created === undefined
        ? json(404, { error: { code: 'agent_not_found', message: 'No' } })
        : json(200, created);
    });
    renderAgents('/agents/new?from=support');
    const id = await screen.findByLabelText('Id');
    expect((id as HTMLInputElement).value).toBe('support-copy');
    expect((screen.getByLabelText('Name') as HTMLInputElement).value).toBe('Support line (copy)');

    await userEvent.clear(id);
    await userEvent.type(id, 'support');
    await userEvent.click(screen.getByRole('button', { name: 'Create agent' }));
    await waitFor(() => expect(screen.getByLabelText('Id').getAttribute('aria-invalid')).toBe('true'));
    expect(screen.getByText('Taken by another agent; choose another id')).toBeTruthy();
    expect(requests(fetch, 'PUT', '/api/agents/support')).toEqual([]);

    await userEvent.clear(screen.getByLabelText('Id'));
    await userEvent.type(screen.getByLabelText('Id'), 'support-2');
    await userEvent.click(screen.getByRole('button', { name: 'Create agent' }));
    await waitFor(() => expect(requests(fetch, 'PUT', '/api/agents/support-2')).toHaveLength(1));
    expect(await screen.findByText('Agent created.')).toBeTruthy();
    const [body] = requests(fetch, 'PUT', '/api/agents/support-2') as { name: string; config: unknown }[];
    expect(body).toEqual({ name: 'Support line (copy)', config: SUPPORT.config });
  }, 60_000);
});
