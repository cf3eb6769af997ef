import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { errorOf, json, renderAgents, requests, SUPPORT, stubApi } from './agents-fixtures.tsx';

afterEach(() => vi.unstubAllGlobals());

describe('the agent form', () => {
  it('shows each invalid setting at its field and sends nothing', async () => {
    const fetch = stubApi('editor');
    renderAgents('/agents/new');
    await screen.findByRole('button', { name: 'Create agent' });
    await userEvent.type(screen.getByLabelText('Id'), 'Bad Id');
    await userEvent.type(screen.getByLabelText('Speech confidence (0–1)'), '2');
    await userEvent.type(screen.getByLabelText('Shortest end-of-turn wait (s)'), '4');
    await userEvent.click(screen.getByRole('button', { name: 'Create agent' }));

    await waitFor(() => expect(errorOf(screen.getByLabelText('Name'))).toBe('Give the agent a name'));
    expect(errorOf(screen.getByLabelText('Id'))).toMatch(/Lower-case letters/);
    expect(errorOf(screen.getByLabelText('Prompt'))).toBe('Write the agent’s prompt');
    expect(errorOf(screen.getByLabelText('Speech confidence (0–1)'))).toBe('Between 0 and 1');
    expect(errorOf(screen.getByLabelText('Longest end-of-turn wait (s)'))).toMatch(/at least the shortest/);
    expect(screen.getByLabelText('Name').getAttribute('aria-invalid')).toBe('true');
    expect(fetch.mock.calls.some(([, init]) => init?.method === 'PUT')).toBe(false);
  }, 60_000);

  it("shows the server's issues at the fields they concern, and the rest above the button", async () => {
    const fetch = stubApi('admin', (url, init) =>
      url === '/api/agents/support' && init?.method === 'PUT'
        ? json(400, {
            error: {
              code: 'invalid_agent',
              message: 'Invalid agent support',
              issues: [
                'llm.temperature: Too big: expected number to be <=2',
                'preCall.url: a private address; Parley does not send requests there',
                'failover: something the form has no field for',
              ],
            },
          })
        : undefined,
    );
    renderAgents('/agents/support');
    const llm = await screen.findByRole('group', { name: 'Language model' });
    await userEvent.type(within(llm).getByLabelText('Temperature'), '1');
    await userEvent.click(screen.getByRole('button', { name: 'Save agent' }));

    await waitFor(() =>
      expect(errorOf(within(llm).getByLabelText('Temperature'))).toBe('Too big: expected number to be <=2'),
    );
    expect(errorOf(screen.getByLabelText('Pre-call request'))).toMatch(/private address/);
    const alert = screen.getByRole('alert');
    expect(alert.textContent).toContain('failover: something the form has no field for');
    expect(requests(fetch, 'PUT', '/api/agents/support')).toHaveLength(1);
  }, 60_000);

  it("switching a provider shows that provider's options and checks them", async () => {
    const fetch = stubApi('editor', (url, init) =>
      url === '/api/agents/support' && init?.method === 'PUT' ? json(200, SUPPORT) : undefined,
    );
    renderAgents('/agents/support');
    const stt = await screen.findByRole('group', { name: 'Speech recognition' });
    expect(within(stt).getByText('This provider has no options.')).toBeTruthy();
    expect(within(stt).queryByLabelText('Endpointing ms')).toBeNull();

    await userEvent.selectOptions(within(stt).getByLabelText('Speech recognition provider'), 'deepgram');
    expect(within(stt).getByLabelText('Model').getAttribute('placeholder')).toBe('nova-3');
    expect(within(stt).getByLabelText('Keyterms')).toBeTruthy();
    // Stored credentials of the vendor's kind are offered by name.
    const credential = within(stt).getByLabelText('Credential');
    await waitFor(() => expect(credential.getAttribute('list')).toBeTruthy());
    const offered = document.getElementById(credential.getAttribute('list') ?? '');
    expect([...(offered?.querySelectorAll('option') ?? [])].map((o) => o.value)).toEqual(['deepgram-main']);
    await userEvent.type(within(stt).getByLabelText('Endpointing ms'), '5');

    const tts = screen.getByRole('group', { name: 'Speech synthesis' });
    await userEvent.selectOptions(within(tts).getByLabelText('Speech synthesis provider'), 'elevenlabs');
    expect(within(tts).getByRole('group', { name: 'Voice settings' })).toBeTruthy();
    expect(within(tts).queryByRole('option', { name: 'kal' })).toBeNull();

    await userEvent.click(screen.getByRole('button', { name: 'Save agent' }));
    await waitFor(() => expect(errorOf(within(stt).getByLabelText('Endpointing ms'))).toBe('At least 10'));
    expect(requests(fetch, 'PUT', '/api/agents/support')).toEqual([]);

    await userEvent.clear(within(stt).getByLabelText('Endpointing ms'));
    await userEvent.type(within(stt).getByLabelText('Endpointing ms'), '300');
    await userEvent.type(within(stt).getByLabelText('Keyterms'), 'Parley{Enter}refund');
    await userEvent.click(screen.getByRole('button', { name: 'Save agent' }));
    await waitFor(() => expect(requests(fetch, 'PUT', '/api/agents/support')).toHaveLength(1));
    const [body] = requests(fetch, 'PUT', '/api/agents/support') as {
      name: string;
      config: Record<string, unknown>;
    }[];
    expect(body?.name).toBe('Support line');
    expect(body?.config.stt).toEqual({
      provider: 'deepgram',
      endpointingMs: 300,
      keyterms: ['Parley', 'refund'],
    });
    // The previous provider's voice is not sent to the new one.
    expect(body?.config.tts).toEqual({ provider: 'elevenlabs' });
    expect(body?.config.llm).toEqual(SUPPORT.config.llm);
    expect(body?.config.tools).toEqual(['end_call']);
    expect(body?.config).not.toHaveProperty('vad');
    expect(await screen.findByText('Saved.')).toBeTruthy();
  }, 60_000);

  it('shows a viewer the settings read-only, without save, duplicate or delete', async () => {
    stubApi('viewer');
    renderAgents('/agents/support');
    const prompt = await screen.findByLabelText('Prompt');
    expect((prompt as HTMLTextAreaElement).value).toBe('You help callers.');
    expect(prompt.closest('fieldset')?.disabled).toBe(true);
    expect(screen.getByLabelText('Name').matches(':disabled')).toBe(true);
    expect(screen.queryByRole('button', { name: 'Save agent' })).toBeNull();
    expect(screen.queryByRole('button', { name: 'Delete' })).toBeNull();
    expect(screen.queryByRole('link', { name: 'Duplicate' })).toBeNull();
    expect(screen.getByRole('link', { name: 'Flow' })).toBeTruthy();
  }, 60_000);
});
