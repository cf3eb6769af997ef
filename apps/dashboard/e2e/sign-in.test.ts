import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CHROMIUM, expectAccessible, screenshot, useDashboard } from './harness.ts';

describe.skipIf(!existsSync(CHROMIUM))('signing in (Chromium)', () => {
  const e2e = useDashboard();

  it('sends a visitor to sign-in, refuses a wrong password, and lets the admin in', async () => {
    const page = await e2e.newPage();
    await page.goto('/calls');
    await page.getByRole('heading', { name: 'Sign in to Parley' }).waitFor();
    await expectAccessible(page, 'sign-in');
    await screenshot(page, 'sign-in');
    await page.getByLabel('Username').fill('e2e-admin');
    await page.getByLabel('Password').fill('not the password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('Wrong username or password');
    await e2e.signIn(page, 'admin');
    expect(await page.getByRole('link', { name: 'Users' }).count()).toBe(1);
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('heading', { name: 'Sign in to Parley' }).waitFor();
    await page.context().close();
  });

  it('shows a viewer no admin pages, and refuses them when asked directly', async () => {
    const page = await e2e.newPage();
    await e2e.signIn(page, 'viewer');
    expect(await page.getByRole('link', { name: 'Users' }).count()).toBe(0);
    await page.goto('/users');
    await page.getByRole('heading', { name: 'Not allowed' }).waitFor();
    const response = await page.request.get('/api/users');
    expect(response.status()).toBe(403);
    await page.context().close();
  });
});
