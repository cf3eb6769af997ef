import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  errorOf,
  json,
  renderAgents,
  requests,
  SUPPORT,
  saveAndGetBody,
  stubApi,
} from './agents-fixtures.tsx';

afterEach(() => vi.unstubAllGlobals());

/** An API that accepts the save of `support` (answering with the agent as stored before). */
const acceptingSave = () =>
  stubApi('editor', (url, init) =>
    url === '/api/agents/support' && init?.method === 'PUT' ? json(200, SUPPORT) : undefined,
  );

const idle = () => screen.getByRole('region', { name: 'Silence and limits' });

describe('the agent form: silence and limits', () => {
  it('saves the idle prompts and the call limits that were typed', async () => {
    const fetch = acceptingSave();
    renderAgents('/agents/support');
    await screen.findByRole('button', { name: 'Save agent' });
    const section = idle();
    await userEvent.selectOptions(within(section).getByLabelText('Prompt a silent caller'), 'true');
    await userEvent.type(within(section).getByLabelText('Silence before a prompt (s)'), '7.5');
    await userEvent.type(within(section).getByLabelText('Prompts before hanging up'), '3');
    await userEvent.type(within(section).getByLabelText('Idle prompt'), 'Are you still with me?');
    await userEvent.type(within(section).getByLabelText('Goodbye before hanging up'), 'Goodbye for now.');
    await userEvent.type(within(section).getByLabelText('Hang up after silence (s)'), '45');
    await userEvent.type(within(section).getByLabelText('Longest call (s)'), '600');

    const body = await saveAndGetBody(fetch);
    expect(body.config.userIdle).toEqual({
      enabled: true,
      timeoutSecs: 7.5,
      maxPrompts: 3,
      prompt: 'Are you still with me?',
      goodbye: 'Goodbye for now.',
    });
    expect(body.config.idleTimeoutSecs).toBe(45);
    expect(body.config.maxDurationSecs).toBe(600);
    // Untouched settings are still what was stored.
    expect(body.config.llm).toEqual(SUPPORT.config.llm);
  }, 60_000);

  it('turning idle prompts off is saved as false, not dropped as "default"', async () => {
    const fetch = acceptingSave();
    renderAgents('/agents/support');
    await screen.findByRole('button', { name: 'Save agent' });
    await userEvent.selectOptions(within(idle()).getByLabelText('Prompt a silent caller'), 'false');
    const body = await saveAndGetBody(fetch);
    expect(body.config.userIdle).toEqual({ enabled: false });
  }, 60_000);

  it('refuses an impossible idle setting at its field and sends nothing', async () => {
    const fetch = acceptingSave();
    renderAgents('/agents/support');
    await screen.findByRole('button', { name: 'Save agent' });
    const section = idle();
    await userEvent.type(within(section).getByLabelText('Silence before a prompt (s)'), '0');
    await userEvent.type(within(section).getByLabelText('Prompts before hanging up'), '1.5');
    await userEvent.type(within(section).getByLabelText('Hang up after silence (s)'), 'soon');
    await userEvent.click(screen.getByRole('button', { name: 'Save agent' }));

    await waitFor(() =>
      expect(errorOf(within(section).getByLabelText('Silence before a prompt (s)'))).toBe(
        'Must be more than 0',
      ),
    );
    expect(errorOf(within(section).getByLabelText('Prompts before hanging up'))).toBe('Enter a whole number');
    expect(errorOf(within(section).getByLabelText('Hang up after silence (s)'))).toBe('Enter a number');
    expect(within(section).getByLabelText('Prompts before hanging up').getAttribute('aria-invalid')).toBe(
      'true',
    );
    expect(requests(fetch, 'PUT', '/api/agents/support')).toEqual([]);

    // Fixing them clears the errors and saves.
    await userEvent.clear(within(section).getByLabelText('Prompts before hanging up'));
    await userEvent.type(within(section).getByLabelText('Prompts before hanging up'), '2');
    await userEvent.clear(within(section).getByLabelText('Silence before a prompt (s)'));
    await userEvent.type(within(section).getByLabelText('Silence before a prompt (s)'), '12');
    await userEvent.clear(within(section).getByLabelText('Hang up after silence (s)'));
    await waitFor(() =>
      expect(errorOf(within(section).getByLabelText('Prompts before hanging up'))).toBeUndefined(),
    );
    const body = await saveAndGetBody(fetch);
    expect(body.config.userIdle).toEqual({ timeoutSecs: 12, maxPrompts: 2 });
    expect(body.config).not.toHaveProperty('idleTimeoutSecs');
  }, 60_000);
});

const variablesSection = () => screen.getByRole('region', { name: 'Variables' });
const variable = (n: number) => within(variablesSection()).getByRole('group', { name: `Variable ${n}` });

describe('the agent form: variables', () => {
  it('adds variables of each type and saves them with typed defaults', async () => {
    const fetch = acceptingSave();
    renderAgents('/agents/support');
    await screen.findByRole('button', { name: 'Save agent' });
    expect(within(variablesSection()).getByText('No declared variables.')).toBeTruthy();

    await userEvent.click(within(variablesSection()).getByRole('button', { name: 'Add variable' }));
    const first = variable(1);
    await userEvent.type(within(first).getByLabelText('Name'), 'customer_name');
    await userEvent.click(within(first).getByLabelText('Required for outbound calls'));
    await userEvent.type(within(first).getByLabelText('Default'), 'guest');
    await userEvent.type(within(first).getByLabelText('Description'), 'How to address the caller');

    await userEvent.click(within(variablesSection()).getByRole('button', { name: 'Add variable' }));
    const second = variable(2);
    await userEvent.type(within(second).getByLabelText('Name'), 'party_size');
    await userEvent.selectOptions(within(second).getByLabelText('Type'), 'number');
    await userEvent.type(within(second).getByLabelText('Default'), '2');

    await userEvent.click(within(variablesSection()).getByRole('button', { name: 'Add variable' }));
    const third = variable(3);
    await userEvent.type(within(third).getByLabelText('Name'), 'vip');
    await userEvent.selectOptions(within(third).getByLabelText('Type'), 'boolean');
    await userEvent.type(within(third).getByLabelText('Default'), 'false');

    const body = await saveAndGetBody(fetch);
    expect(body.config.variables).toEqual([
      {
        name: 'customer_name',
        type: 'string',
        required: true,
        default: 'guest',
        description: 'How to address the caller',
      },
      { name: 'party_size', type: 'number', default: 2 },
      { name: 'vip', type: 'boolean', default: false },
    ]);
  }, 60_000);

  it('shows a default of the wrong type, a bad name and a name used twice at their fields', async () => {
    const fetch = acceptingSave();
    renderAgents('/agents/support');
    await screen.findByRole('button', { name: 'Save agent' });
    const add = () =>
      userEvent.click(within(variablesSection()).getByRole('button', { name: 'Add variable' }));
    await add();
    await userEvent.type(within(variable(1)).getByLabelText('Name'), 'party_size');
    await userEvent.selectOptions(within(variable(1)).getByLabelText('Type'), 'number');
    await userEvent.type(within(variable(1)).getByLabelText('Default'), 'two');
    await add();
    await userEvent.type(within(variable(2)).getByLabelText('Name'), 'party_size');
    await add();
    await userEvent.type(within(variable(3)).getByLabelText('Name'), '2nd guest');
    await userEvent.click(screen.getByRole('button', { name: 'Save agent' }));

    await waitFor(() =>
      expect(errorOf(within(variable(1)).getByLabelText('Default'))).toMatch(
        /Must be of the variable’s type/,
      ),
    );
    expect(errorOf(within(variable(2)).getByLabelText('Name'))).toBe('Used twice');
    expect(errorOf(within(variable(3)).getByLabelText('Name'))).toMatch(/^A name: letters, digits/);
    expect(errorOf(within(variable(1)).getByLabelText('Name'))).toBeUndefined();
    expect(requests(fetch, 'PUT', '/api/agents/support')).toEqual([]);

    // Removing the duplicate and the bad one, and fixing the default, saves the one left.
    await userEvent.click(within(variablesSection()).getByRole('button', { name: 'Remove variable 3' }));
    await userEvent.click(within(variablesSection()).getByRole('button', { name: 'Remove variable 2' }));
    await userEvent.clear(within(variable(1)).getByLabelText('Default'));
    await userEvent.type(within(variable(1)).getByLabelText('Default'), '4');
    const body = await saveAndGetBody(fetch);
    expect(body.config.variables).toEqual([{ name: 'party_size', type: 'number', default: 4 }]);
  }, 60_000);

  it('removing a stored variable leaves the texts of the others where they were', async () => {
    const stored = {
      ...SUPPORT,
      config: {
        ...SUPPORT.config,
        variables: [
          { name: 'first_name', type: 'string', default: 'friend', description: 'How to address the caller' },
          { name: 'order_id', type: 'string' },
        ],
      },
    };
    const fetch = stubApi('editor', (url, init) => {
      if (url !== '/api/agents/support') return undefined;
      return init?.method === 'PUT' ? json(200, stored) : json(200, stored);
    });
    renderAgents('/agents/support');
    await screen.findByRole('button', { name: 'Save agent' });
    await userEvent.click(within(variablesSection()).getByRole('button', { name: 'Remove variable 1' }));
    const left = variable(1);
    expect((within(left).getByLabelText('Name') as HTMLInputElement).value).toBe('order_id');
    expect((within(left).getByLabelText('Default') as HTMLInputElement).value).toBe('');
    expect((within(left).getByLabelText('Description') as HTMLInputElement).value).toBe('');
    const body = await saveAndGetBody(fetch);
    expect(body.config.variables).toEqual([{ name: 'order_id', type: 'string' }]);
  }, 60_000);

  it("shows the server's refusal of a variable at its field", async () => {
    const fetch = stubApi('editor', (url, init) =>
      url === '/api/agents/support' && init?.method === 'PUT'
        ? json(400, {
            error: {
              code: 'invalid_agent',
              message: 'Invalid agent support',
              issues: ['variables.0.description: Too long'],
            },
          })
        : undefined,
    );
    renderAgents('/agents/support');
    await screen.findByRole('button', { name: 'Save agent' });
    await userEvent.click(within(variablesSection()).getByRole('button', { name: 'Add variable' }));
    await userEvent.type(within(variable(1)).getByLabelText('Name'), 'order_id');
    await userEvent.type(within(variable(1)).getByLabelText('Description'), 'The order');
    await userEvent.click(screen.getByRole('button', { name: 'Save agent' }));
    await waitFor(() => expect(errorOf(within(variable(1)).getByLabelText('Description'))).toBe('Too long'));
    expect(requests(fetch, 'PUT', '/api/agents/support')).toHaveLength(1);
  }, 60_000);
});
