import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CHROMIUM, expectAccessible, screenshot, useDashboard } from './harness.ts';

describe.skipIf(!existsSync(CHROMIUM))('agents (Chromium)', () => {
  const e2e = useDashboard();

  it('lets an admin create an agent through the form and find it in the list', async () => {
    const page = await e2e.newPage();
    await e2e.signIn(page, 'admin');
    await page.goto('/agents');
    await page.getByRole('link', { name: 'Demo agent', exact: true }).waitFor();
    await expectAccessible(page, 'agents');
    await screenshot(page, 'agents');

    await page.getByRole('link', { name: 'New agent' }).click();
    await page.getByRole('heading', { name: 'New agent' }).waitFor();
    await expectAccessible(page, 'agent-new');
    await screenshot(page, 'agent-new');

    // A first try without a prompt is stopped at the field.
    await page.getByLabel('Id', { exact: true }).fill('e2e-desk');
    await page.getByLabel('Name', { exact: true }).fill('E2E front desk');
    await page.getByRole('button', { name: 'Create agent' }).click();
    await page.getByText('Write the agent’s prompt').waitFor();

    await page.getByLabel('Prompt', { exact: true }).fill('You answer the front desk phone in one sentence.');
    await page.getByLabel('Greeting', { exact: true }).fill('Front desk, how can I help?');
    const llm = page.getByRole('group', { name: 'Language model', exact: true });
    await llm.getByLabel('Temperature').fill('0.4');
    await page.getByLabel('Caller can interrupt').selectOption('false');
    await page.getByRole('checkbox', { name: /end_call/ }).check();
    await page.getByRole('button', { name: 'Create agent' }).click();
    await page.getByText('Agent created.').waitFor();
    await page.getByRole('heading', { name: 'E2E front desk' }).waitFor();

    const stored = await e2e.server.parley.agents.get('e2e-desk');
    expect(stored?.config).toMatchObject({
      prompt: 'You answer the front desk phone in one sentence.',
      greeting: 'Front desk, how can I help?',
      llm: { provider: 'openai', temperature: 0.4 },
      turns: { interruptions: false },
      tools: ['end_call'],
    });

    await page.getByRole('link', { name: 'Agents', exact: true }).first().click();
    await page.getByRole('link', { name: 'E2E front desk', exact: true }).waitFor();

    await page.goto('/agents/demo');
    await page.getByRole('heading', { name: 'Demo agent' }).waitFor();
    await page.getByRole('button', { name: 'Save agent' }).waitFor();
    await expectAccessible(page, 'agent-edit');
    await screenshot(page, 'agent-edit');
    await page.context().close();
  }, 120_000);

  it('shows a viewer an agent read-only, and the API refuses their write', async () => {
    const page = await e2e.newPage();
    await e2e.signIn(page, 'viewer');
    await page.goto('/agents/demo');
    await page.getByRole('heading', { name: 'Demo agent' }).waitFor();
    await page.getByText('Your role can read this agent but not change it.').waitFor();
    expect(await page.getByRole('button', { name: 'Save agent' }).count()).toBe(0);
    expect(await page.getByRole('button', { name: 'Delete' }).count()).toBe(0);
    expect(await page.getByLabel('Prompt', { exact: true }).isDisabled()).toBe(true);
    expect(await page.getByLabel('Name', { exact: true }).isDisabled()).toBe(true);
    await expectAccessible(page, 'agent-view');

    const me = await page.request.get('/api/auth/me');
    const { csrfToken } = (await me.json()) as { csrfToken: string };
    const agent = (await (await page.request.get('/api/agents/demo')).json()) as {
      name: string;
      config: unknown;
    };
    const put = await page.request.put('/api/agents/demo', {
      headers: { 'x-csrf-token': csrfToken },
      data: { name: 'Renamed by a viewer', config: agent.config },
    });
    expect(put.status()).toBe(403);
    expect(((await put.json()) as { error: { code: string } }).error.code).toBe('forbidden');
    const del = await page.request.delete('/api/agents/demo', { headers: { 'x-csrf-token': csrfToken } });
    expect(del.status()).toBe(403);
    expect((await e2e.server.parley.agents.get('demo'))?.name).toBe('Demo agent');
    await page.context().close();
  }, 120_000);
});
