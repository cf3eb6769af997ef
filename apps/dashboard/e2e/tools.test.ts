import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM, expectAccessible, screenshot, useDashboard } from './harness.ts';

describe.skipIf(!existsSync(CHROMIUM))('webhook tools (Chromium)', () => {
  const e2e = useDashboard();
  // A web service on loopback that the tool would call: the egress rules keep Parley away from it.
  const received: string[] = [];
  let loopback: Server;
  let loopbackUrl = '';

  beforeAll(async () => {
    loopback = createServer((req, res) => {
      received.push(`${req.method} ${req.url}`);
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"shipped"}');
    });
    await new Promise<void>((resolve) => loopback.listen(0, '127.0.0.1', resolve));
    const address = loopback.address();
    loopbackUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  });
  afterAll(async () => {
    await new Promise((resolve) => loopback?.close(resolve));
  });

  it('lets an admin create a tool, shows the refusal of a private address at the URL, and tries the tool', async () => {
    const page = await e2e.newPage();
    await e2e.signIn(page, 'admin');
    await page.getByRole('link', { name: 'Tools' }).click();
    await page.getByRole('heading', { name: 'Tools' }).waitFor();
    await page.getByRole('link', { name: 'New tool' }).click();
    await page.getByRole('heading', { name: 'New tool' }).waitFor();
    await expectAccessible(page, 'new tool');
    await screenshot(page, 'tool-new');

    await page.getByLabel('Tool id').fill('list-models');
    await page.getByLabel('Function name').fill('list_models');
    await page.getByLabel('Description').fill('Lists the models the LLM server offers');
    await page.getByLabel('Parameters (JSON Schema)').fill('{ "type": "object", ');
    await page.getByRole('button', { name: 'Create tool' }).click();
    await page.getByText(/^Not valid JSON/).waitFor();

    await page.getByLabel('Parameters (JSON Schema)').fill(
      JSON.stringify({
        type: 'object',
        properties: { resource: { type: 'string', enum: ['models'] } },
        required: ['resource'],
      }),
    );
    await page.getByLabel('Method').selectOption('GET');
    // The loopback service started above: refused when written, so never contacted.
    await page.getByLabel('URL').fill(`${loopbackUrl}/{{resource}}`);
    await page.getByRole('button', { name: 'Create tool' }).click();
    await page
      .getByText(/EGRESS_ALLOW/)
      .first()
      .waitFor();
    expect(await page.getByLabel('URL').getAttribute('aria-invalid')).toBe('true');
    await screenshot(page, 'tool-refused-url');

    // The harness's fake LLM is the one loopback server the server's egress rules allow (its
    // OPENAI_BASE_URL); the harness takes no EGRESS_ALLOW, so the tool is tried against it.
    await page.getByLabel('URL').fill(`${e2e.llm.url}/{{resource}}`);
    await page.getByRole('button', { name: 'Create tool' }).click();
    await page.getByRole('heading', { name: 'Tool list-models' }).waitFor();
    expect(new URL(page.url()).pathname).toBe('/tools/list-models');
    expect(await page.getByLabel('Sample arguments (JSON)').inputValue()).toContain('"resource": "models"');
    await page.getByRole('button', { name: 'Run tool' }).click();
    await page.getByText(/Succeeded with HTTP 200/).waitFor();
    expect(await page.getByText(`${e2e.llm.url}/models`, { exact: true }).count()).toBe(1);
    expect(await page.locator('.try-it-result').textContent()).toContain('gpt-4o-mini');
    await expectAccessible(page, 'tool with Try it');
    await screenshot(page, 'tool-try-it');

    await page.getByRole('link', { name: 'Tools', exact: true }).first().click();
    await page.getByRole('link', { name: 'list-models' }).waitFor();
    await expectAccessible(page, 'tools');
    await screenshot(page, 'tools');
    expect(received).toEqual([]);
    await page.context().close();
  }, 180_000);

  it('shows a viewer the tools without a way to change or run them', async () => {
    const page = await e2e.newPage();
    await e2e.signIn(page, 'viewer');
    await page.goto('/tools/list-models');
    await page.getByRole('heading', { name: 'Tool list-models' }).waitFor();
    await page.getByText('Your role can read tools but not change them.').waitFor();
    expect(await page.getByRole('button', { name: 'Save tool' }).count()).toBe(0);
    expect(await page.getByRole('button', { name: 'Run tool' }).count()).toBe(0);
    expect(await page.getByLabel('Description').isDisabled()).toBe(true);
    const { csrfToken } = (await (await page.request.get('/api/auth/me')).json()) as { csrfToken: string };
    const refused = await page.request.post('/api/tools/list-models/test', {
      data: {},
      headers: { 'x-csrf-token': csrfToken },
    });
    expect(refused.status()).toBe(403);
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe('forbidden');
    await page.context().close();
  }, 120_000);
});
