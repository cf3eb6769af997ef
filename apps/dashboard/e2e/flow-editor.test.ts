import { existsSync } from 'node:fs';
import type { Locator, Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { CHROMIUM, expectAccessible, screenshot, useDashboard } from './harness.ts';

const AGENT = 'flow-e2e';

interface StoredFlow {
  draft: { version: number; definition: { nodes: StoredNode[] } } | null;
  published: { version: number; definition: { nodes: StoredNode[] } } | null;
}
interface StoredNode {
  key: string;
  initial?: boolean;
  terminal?: boolean;
  taskMessages: string[];
  position?: { x: number; y: number };
  functions?: { name: string; description: string; target?: string }[];
}

/** The centre of `locator` on the page, px. */
async function centre(locator: Locator): Promise<{ x: number; y: number }> {
  const box = await locator.boundingBox();
  if (!box) throw new Error('not visible');
  return { x: box.x + box.width / 2, y: box.y + box.height / 2 };
}

/** Presses the mouse at `from`, moves in steps to `to` and releases it there. */
async function drag(page: Page, from: { x: number; y: number }, to: { x: number; y: number }) {
  await page.mouse.move(from.x, from.y);
  await page.mouse.down();
  await page.mouse.move((from.x + to.x) / 2, (from.y + to.y) / 2, { steps: 8 });
  await page.mouse.move(to.x, to.y, { steps: 8 });
  await page.mouse.up();
}

/** Renames the selected node (the side panel's key field) and waits for the canvas to show it. */
async function renameSelected(page: Page, key: string) {
  const field = page.getByLabel('Key', { exact: true });
  await field.fill(key);
  await field.press('Enter');
  await page.locator(`.react-flow__node[data-id="${key}"]`).waitFor();
}

describe.skipIf(!existsSync(CHROMIUM))('the flow editor (Chromium)', () => {
  const e2e = useDashboard();

  it('builds a two-node flow by dragging, publishes it, diffs two versions, and deletes by key and button', async () => {
    const created = await fetch(`${e2e.server.url}/api/agents/${AGENT}`, {
      method: 'PUT',
      headers: { ...e2e.server.adminHeaders, 'content-type': 'application/json' },
      body: JSON.stringify({
        name: 'Flow bot',
        config: {
          prompt: 'You help callers.',
          stt: { provider: 'fake' },
          tts: { provider: 'fake' },
          llm: { provider: 'openai', model: 'gpt-4o-mini' },
        },
      }),
    });
    expect(created.status, await created.text()).toBe(201);

    const page = await e2e.newPage();
    await e2e.signIn(page, 'admin');
    await page.goto(`/agents/${AGENT}/flow`);
    await page.getByRole('heading', { name: 'Flow of Flow bot' }).waitFor();
    await page.getByText('No nodes yet').waitFor();

    // Two nodes, each renamed in the side panel; the first is the initial one.
    await page.getByRole('button', { name: 'Add node' }).click();
    await renameSelected(page, 'greet');
    await page.getByLabel('Task message 1').fill('Greet the caller and ask what they need.');
    await page.getByRole('button', { name: 'Add node' }).click();
    await renameSelected(page, 'bye');
    const greet = page.locator('.react-flow__node[data-id="greet"]');
    const bye = page.locator('.react-flow__node[data-id="bye"]');
    await expect.poll(() => greet.getByText('initial').count()).toBe(1);

    // The new node has no task yet: the check puts a red badge on it and lists the issue.
    await page.getByRole('button', { name: 'Validate' }).click();
    await expect.poll(() => bye.locator('.flow-badge-error').textContent()).toBe('1 error');
    await page.getByRole('button', { name: /^nodes\.1\.taskMessages/ }).click();
    await page.getByRole('heading', { name: 'Node bye' }).waitFor();
    await page.getByLabel('Task message 1').fill('Thank the caller and say goodbye.');
    await page.getByLabel('Terminal (the conversation ends here)').check();

    // Drag "bye" down, then drag from greet's bottom handle to bye's top handle.
    const byeBefore = await centre(bye);
    await drag(page, byeBefore, { x: byeBefore.x - 150, y: byeBefore.y + 160 });
    await expect.poll(async () => (await centre(bye)).y).toBeGreaterThan(byeBefore.y + 100);
    await drag(
      page,
      await centre(greet.locator('.react-flow__handle.source')),
      await centre(bye.locator('.react-flow__handle.target')),
    );
    await page.getByRole('group', { name: 'Transition to_bye from greet to bye' }).waitFor();

    await page.getByRole('button', { name: 'Save draft' }).click();
    await expect.poll(() => page.getByRole('status').textContent()).toBe('Draft saved as version 1.');
    await page.getByRole('button', { name: 'Validate' }).click();
    await expect.poll(() => page.getByRole('status').textContent()).toContain('The flow is valid');
    expect(await page.locator('.flow-badge-error').count()).toBe(0);
    await page.getByRole('button', { name: 'Publish' }).click();
    await expect
      .poll(() => page.getByRole('status').textContent())
      .toBe('Published version 1: new calls run it.');
    const versions = page.getByRole('table', { name: 'Flow versions, newest first' });
    await expect.poll(() => versions.locator('tbody tr').first().textContent()).toMatch(/^1published/);

    const stored = (await (await page.request.get(`/api/agents/${AGENT}/flow`)).json()) as StoredFlow;
    expect(stored.draft).toBeNull();
    const nodes = stored.published?.definition.nodes ?? [];
    expect(nodes.map((n) => [n.key, n.initial ?? false, n.terminal ?? false])).toEqual([
      ['greet', true, false],
      ['bye', false, true],
    ]);
    expect(nodes[0]?.functions).toEqual([
      {
        name: 'to_bye',
        description: 'Call this when the conversation should move on to bye.',
        target: 'bye',
      },
    ]);
    expect(nodes[1]?.position?.y).toBeGreaterThan(100);
    await expectAccessible(page, 'flow editor');
    await screenshot(page, 'flow-editor');

    // A second version: change greet's task, save, and compare version 1 with it.
    await greet.click();
    await page.getByRole('heading', { name: 'Node greet' }).waitFor();
    await page.getByLabel('Task message 1').fill('Greet the caller warmly.');
    await page.getByRole('button', { name: 'Save draft' }).click();
    await expect.poll(() => page.getByRole('status').textContent()).toBe('Draft saved as version 2.');
    await page.getByRole('button', { name: 'Compare' }).click();
    const diff = page.getByRole('region', { name: 'Changes from version 1 to version 2' });
    await expect.poll(() => diff.locator('tbody tr').first().textContent()).toBe('greetchangedtaskMessages');
    await expectAccessible(page, 'flow diff');
    await diff.scrollIntoViewIfNeeded();
    await screenshot(page, 'flow-diff');

    // Deleting: a new node with the Delete key, the transition with the toolbar's button.
    await page.getByRole('button', { name: 'Add node' }).click();
    const extra = page.locator('.react-flow__node[data-id="node"]');
    await extra.waitFor();
    await page.keyboard.press('Delete');
    await extra.waitFor({ state: 'detached' });
    await page.getByRole('group', { name: 'Transition to_bye from greet to bye' }).click();
    await page.getByRole('button', { name: 'Delete transition to_bye' }).click();
    await page
      .getByRole('group', { name: 'Transition to_bye from greet to bye' })
      .waitFor({ state: 'detached' });
    expect(await greet.count()).toBe(1);
    await page.context().close();
  }, 180_000);

  it('shows a viewer the flow read-only, and the API refuses their changes', async () => {
    const page = await e2e.newPage();
    await e2e.signIn(page, 'viewer');
    await page.goto(`/agents/${AGENT}/flow`);
    await page.getByText('Read only').waitFor();
    const greet = page.locator('.react-flow__node[data-id="greet"]');
    await greet.waitFor();
    expect(await page.getByRole('button', { name: 'Save draft' }).count()).toBe(0);
    expect(await page.getByRole('button', { name: 'Publish' }).count()).toBe(0);
    // Dragging does not move a node (its place in the flow; the view may pan); its settings are disabled.
    const placed = async () => (await greet.getAttribute('style'))?.match(/transform:[^;]+/)?.[0];
    const before = await placed();
    expect(before).toMatch(/translate/);
    await drag(page, await centre(greet), { x: 700, y: 500 });
    expect(await placed()).toBe(before);
    await greet.click();
    expect(await page.getByLabel('Task message 1').isDisabled()).toBe(true);
    await page.keyboard.press('Delete');
    expect(await greet.count()).toBe(1);
    await expectAccessible(page, 'flow editor (viewer)');

    const me = (await (await page.request.get('/api/auth/me')).json()) as { csrfToken: string };
    const refused = await page.request.put(`/api/agents/${AGENT}/flow/draft`, {
      headers: { 'x-csrf-token': me.csrfToken },
      data: { definition: { nodes: [{ key: 'x', initial: true, taskMessages: ['x'] }] } },
    });
    expect(refused.status()).toBe(403);
    const publish = await page.request.post(`/api/agents/${AGENT}/flow/publish`, {
      headers: { 'x-csrf-token': me.csrfToken },
    });
    expect(publish.status()).toBe(403);
    await page.context().close();
  }, 120_000);
});
