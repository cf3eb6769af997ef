import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { AgentConfig } from '../src/pages/agents/agent-api.ts';
import {
  fieldOfIssue,
  formFieldNames,
  toAgentBody,
  toFormValues,
} from '../src/pages/agents/agent-form-model.ts';
import {
  errorOf,
  json,
  renderAgents,
  requests,
  SUPPORT,
  saveAndGetBody,
  stubApi,
  VENDORS,
} from './agents-fixtures.tsx';

afterEach(() => vi.unstubAllGlobals());

/** `support` as stored with two destinations, a caller ID and a setting the form does not know. */
const WITH_TRANSFER = {
  ...SUPPORT,
  config: {
    ...SUPPORT.config,
    tools: ['end_call', 'transfer_call'],
    transfer: {
      destinations: [
        { name: 'sales', number: '+14155550100', description: 'Buying a plan' },
        { name: 'billing', number: '+442071234567' },
      ],
      callerId: '+14155550199',
    },
    futureSetting: { kept: true },
  },
};

/** An API serving `stored` as `support` and accepting its save. */
const acceptingSave = (stored: typeof SUPPORT | typeof WITH_TRANSFER = SUPPORT) =>
  stubApi('editor', (url) => (url === '/api/agents/support' ? json(200, stored) : undefined));

const section = () => screen.getByRole('region', { name: 'Call transfer' });
const destination = (n: number) => within(section()).getByRole('group', { name: `Destination ${n}` });
const addDestination = () =>
  userEvent.click(within(section()).getByRole('button', { name: 'Add destination' }));
const toolsGroup = () => screen.getByRole('group', { name: 'Tools the agent may call' });
const transferTool = () => within(toolsGroup()).getByRole('checkbox', { name: /transfer_call/ });

async function fillDestination(n: number, name: string, number: string, description?: string) {
  await userEvent.type(within(destination(n)).getByLabelText('Name'), name);
  await userEvent.type(within(destination(n)).getByLabelText('Phone number'), number);
  if (description !== undefined)
    await userEvent.type(within(destination(n)).getByLabelText('Description'), description);
}

describe('the agent form: call transfer', () => {
  it('offers transfer_call and saves the destinations and caller ID that were typed', async () => {
    const fetch = acceptingSave();
    renderAgents('/agents/support');
    await screen.findByRole('button', { name: 'Save agent' });
    expect(within(section()).getByText('No destinations.')).toBeTruthy();

    await userEvent.click(transferTool());
    expect(
      within(section()).getByText(/transfer_call is chosen under Tools and needs at least one/),
    ).toBeTruthy();
    await addDestination();
    await fillDestination(1, 'sales', '+14155550100', '  Buying a plan ');
    await addDestination();
    await fillDestination(2, 'billing', '+442071234567');
    await userEvent.type(within(section()).getByLabelText('Caller ID'), '+14155550199');

    const body = await saveAndGetBody(fetch);
    expect(body).toEqual({
      name: 'Support line',
      config: {
        ...SUPPORT.config,
        tools: ['end_call', 'transfer_call'],
        transfer: {
          destinations: [
            { name: 'sales', number: '+14155550100', description: 'Buying a plan' },
            { name: 'billing', number: '+442071234567' },
          ],
          callerId: '+14155550199',
        },
      },
    });
    expect(await screen.findByText('Saved.')).toBeTruthy();
  }, 60_000);

  it('shows stored destinations, and removing one and the caller ID keeps the other settings', async () => {
    const fetch = acceptingSave(WITH_TRANSFER);
    renderAgents('/agents/support');
    await screen.findByRole('button', { name: 'Save agent' });
    expect((transferTool() as HTMLInputElement).checked).toBe(true);
    expect((within(destination(2)).getByLabelText('Phone number') as HTMLInputElement).value).toBe(
      '+442071234567',
    );
    expect((within(section()).getByLabelText('Caller ID') as HTMLInputElement).value).toBe('+14155550199');

    await userEvent.click(within(section()).getByRole('button', { name: 'Remove destination 1' }));
    // The row moved up shows its own (empty) description, not the removed row's.
    const value = (label: string) => (within(destination(1)).getByLabelText(label) as HTMLInputElement).value;
    expect([value('Name'), value('Description')]).toEqual(['billing', '']);
    expect(within(section()).queryByRole('group', { name: 'Destination 2' })).toBeNull();
    await userEvent.clear(within(section()).getByLabelText('Caller ID'));
    await userEvent.type(within(destination(1)).getByLabelText('Description'), 'Invoices and refunds');

    const body = await saveAndGetBody(fetch);
    expect(body.config).toEqual({
      ...WITH_TRANSFER.config,
      transfer: {
        destinations: [{ name: 'billing', number: '+442071234567', description: 'Invoices and refunds' }],
      },
    });
  }, 60_000);

  it('shows a bad number, a bad name and a name used twice at their fields and sends nothing', async () => {
    const fetch = acceptingSave();
    renderAgents('/agents/support');
    await screen.findByRole('button', { name: 'Save agent' });
    await addDestination();
    await fillDestination(1, 'sales', '14155550100');
    await addDestination();
    await fillDestination(2, 'sales', '+0415555');
    await addDestination();
    await fillDestination(3, 'Front Desk', '+1 415 555 0100');
    await userEvent.type(within(section()).getByLabelText('Caller ID'), '+1415555019912345');
    await userEvent.click(screen.getByRole('button', { name: 'Save agent' }));

    const number = (n: number) => within(destination(n)).getByLabelText('Phone number');
    const name = (n: number) => within(destination(n)).getByLabelText('Name');
    await waitFor(() => expect(errorOf(number(1))).toMatch(/^An E\.164 number/));
    expect(errorOf(number(2))).toMatch(/^An E\.164 number/);
    expect(errorOf(number(3))).toMatch(/^An E\.164 number/);
    expect(errorOf(within(section()).getByLabelText('Caller ID'))).toMatch(/^An E\.164 number/);
    expect(number(1).getAttribute('aria-invalid')).toBe('true');
    expect(errorOf(name(1))).toBeUndefined();
    expect(errorOf(name(2))).toBe('Used twice');
    expect(errorOf(name(3))).toMatch(/^Lower-case letters, digits/);
    expect(requests(fetch, 'PUT', '/api/agents/support')).toEqual([]);

    // Fixed, they are saved.
    await userEvent.click(within(section()).getByRole('button', { name: 'Remove destination 3' }));
    await userEvent.clear(number(1));
    await userEvent.type(number(1), '+14155550100');
    await userEvent.clear(name(2));
    await userEvent.type(name(2), 'front-desk');
    await userEvent.clear(number(2));
    await userEvent.type(number(2), '+919876543210');
    await userEvent.clear(within(section()).getByLabelText('Caller ID'));
    const body = await saveAndGetBody(fetch);
    expect(body.config.transfer).toEqual({
      destinations: [
        { name: 'sales', number: '+14155550100' },
        { name: 'front-desk', number: '+919876543210' },
      ],
    });
    // Destinations without the tool are allowed: the tool list is as it was.
    expect(body.config.tools).toEqual(['end_call']);
  }, 60_000);

  it('refuses transfer_call, or a caller ID, without destinations before saving', async () => {
    const fetch = acceptingSave();
    renderAgents('/agents/support');
    await screen.findByRole('button', { name: 'Save agent' });
    await userEvent.click(transferTool());
    await userEvent.type(within(section()).getByLabelText('Caller ID'), '+14155550199');
    await userEvent.click(screen.getByRole('button', { name: 'Save agent' }));

    await waitFor(() =>
      expect(errorOf(toolsGroup())).toBe('transfer_call needs a destination: add one under Call transfer'),
    );
    expect(errorOf(within(section()).getByLabelText('Caller ID'))).toMatch(/^Only used with destinations/);
    expect(requests(fetch, 'PUT', '/api/agents/support')).toEqual([]);

    await addDestination();
    await fillDestination(1, 'sales', '+14155550100');
    const body = await saveAndGetBody(fetch);
    expect(body.config.tools).toEqual(['end_call', 'transfer_call']);
    expect(body.config.transfer).toEqual({
      destinations: [{ name: 'sales', number: '+14155550100' }],
      callerId: '+14155550199',
    });
  }, 60_000);

  it("shows the server's refusal of a destination at its field", async () => {
    const fetch = stubApi('editor', (url, init) =>
      url === '/api/agents/support' && init?.method === 'PUT'
        ? json(400, {
            error: {
              code: 'invalid_agent',
              message: 'Invalid agent support',
              issues: [
                'transfer.destinations.1.number: Not a number this account may dial',
                'transfer.callerId: Not a number of this account',
              ],
            },
          })
        : undefined,
    );
    renderAgents('/agents/support');
    await screen.findByRole('button', { name: 'Save agent' });
    await addDestination();
    await fillDestination(1, 'sales', '+14155550100');
    await addDestination();
    await fillDestination(2, 'billing', '+442071234567');
    await userEvent.type(within(section()).getByLabelText('Caller ID'), '+14155550199');
    await userEvent.click(screen.getByRole('button', { name: 'Save agent' }));

    await waitFor(() =>
      expect(errorOf(within(destination(2)).getByLabelText('Phone number'))).toBe(
        'Not a number this account may dial',
      ),
    );
    expect(errorOf(within(destination(1)).getByLabelText('Phone number'))).toBeUndefined();
    expect(errorOf(within(section()).getByLabelText('Caller ID'))).toBe('Not a number of this account');
    expect(screen.getByRole('alert').textContent).toMatch(/see the fields marked below/);
    expect(requests(fetch, 'PUT', '/api/agents/support')).toHaveLength(1);
  }, 60_000);

  it('gives a viewer the destinations read-only, without add or remove', async () => {
    stubApi('viewer', (url, init) =>
      url === '/api/agents/support' && (init?.method ?? 'GET') === 'GET'
        ? json(200, WITH_TRANSFER)
        : undefined,
    );
    renderAgents('/agents/support');
    const first = await screen.findByRole('group', { name: 'Destination 1' });
    expect(within(first).getByLabelText('Name').matches(':disabled')).toBe(true);
    expect(within(section()).queryByRole('button', { name: 'Add destination' })).toBeNull();
    expect(within(section()).queryByRole('button', { name: /Remove destination/ })).toBeNull();
  }, 60_000);
});

describe('the agent form model: call transfer', () => {
  it('sends the stored transfer settings back unchanged, and places their issues', () => {
    const config = WITH_TRANSFER.config as unknown as AgentConfig;
    const values = toFormValues({ ...WITH_TRANSFER, config }, VENDORS);
    expect(toAgentBody(values, config)).toEqual({ name: 'Support line', config });
    const fields = formFieldNames(values, VENDORS);
    expect(fieldOfIssue('transfer.destinations.1.name', fields)).toBe('transfer.destinations.1.name');
    expect(fieldOfIssue('transfer.callerId', fields)).toBe('transfer.callerId');
    // A destination the form does not have, or the list as a whole: shown above the form.
    expect(fieldOfIssue('transfer.destinations.2.number', fields)).toBe('');
    expect(fieldOfIssue('transfer.destinations', fields)).toBe('');
    expect(fieldOfIssue('tools.1', fields)).toBe('tools');
  });
});
