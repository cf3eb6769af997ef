import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM, expectAccessible, screenshot, useDashboard } from './harness.ts';

const TWILIO_SID = 'AC0123456789abcdef0123456789abcdef';
const TWILIO_TOKEN = 'e2e-twilio-token-never-shown';

describe.skipIf(!existsSync(CHROMIUM))('telephony settings, users and API keys (Chromium)', () => {
  const e2e = useDashboard();
  // Stands in for Twilio's API on loopback: the egress rules keep the connection test away from it.
  const received: string[] = [];
  let fakeTwilio: Server;
  let fakeTwilioUrl = '';

  beforeAll(async () => {
    fakeTwilio = createServer((req, res) => {
      received.push(`${req.method} ${req.url}`);
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
    await new Promise<void>((resolve) => fakeTwilio.listen(0, '127.0.0.1', resolve));
    const address = fakeTwilio.address();
    fakeTwilioUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  });
  afterAll(async () => {
    await new Promise((resolve) => fakeTwilio?.close(resolve));
  });

  it('keeps telephony secrets masked after saving, and tests the connection', async () => {
    const page = await e2e.newPage();
    await e2e.signIn(page, 'admin');
    await page.getByRole('link', { name: 'Telephony' }).click();
    await page.getByRole('heading', { name: 'Telephony settings' }).waitFor();
    await page.getByLabel('Twilio account SID').fill(TWILIO_SID);
    await page.getByLabel('Replace Twilio auth token').fill(TWILIO_TOKEN);
    await page.getByLabel('Twilio API base URL').fill(fakeTwilioUrl);
    await page.getByRole('button', { name: 'Save settings' }).click();
    await page.getByText('Saved.').waitFor();
    expect(await page.getByText(/Twilio auth token:/).textContent()).toMatch(/set \(credential “twilio”\)/);
    expect(await page.getByLabel('Replace Twilio auth token').inputValue()).toBe('');

    await page.reload();
    await page.getByLabel('Twilio account SID').waitFor();
    expect(await page.getByLabel('Twilio account SID').inputValue()).toBe(TWILIO_SID);
    expect(await page.getByLabel('Replace Twilio auth token').inputValue()).toBe('');
    expect(await page.content()).not.toContain(TWILIO_TOKEN);

    await page.getByRole('button', { name: 'Test Twilio connection' }).click();
    await page.getByText(/Twilio could not be reached: .*EGRESS_ALLOW/).waitFor();
    expect(received).toEqual([]);
    await page.getByRole('button', { name: 'Test Exotel connection' }).click();
    await page
      .getByText('Exotel is not configured: set its account SID, API key, and API token first')
      .waitFor();
    await expectAccessible(page, 'telephony settings');
    await screenshot(page, 'telephony');
    await page.context().close();
  }, 180_000);

  it('shows a new API key once, and the key works', async () => {
    const page = await e2e.newPage();
    await e2e.signIn(page, 'admin');
    await page.getByRole('link', { name: 'API keys' }).click();
    await page.getByRole('heading', { name: 'API keys' }).waitFor();
    await page.getByLabel('Key name').fill('CRM sync');
    await page.getByLabel('Key role').selectOption('viewer');
    await page.getByRole('button', { name: 'Create key' }).click();
    const key = await page.getByLabel('New API key').inputValue();
    expect(key.length).toBeGreaterThan(20);
    await page.getByRole('cell', { name: 'CRM sync', exact: true }).waitFor();
    await expectAccessible(page, 'API keys with a new key');
    await screenshot(page, 'api-keys');

    const me = await page.request.get('/api/calls', { headers: { authorization: `Bearer ${key}` } });
    expect(me.status()).toBe(200);

    await page.getByRole('button', { name: 'Done, hide it' }).click();
    expect(await page.content()).not.toContain(key);
    await page.reload();
    await page.getByRole('cell', { name: 'CRM sync', exact: true }).waitFor();
    expect(await page.content()).not.toContain(key);

    await page.getByRole('button', { name: 'Revoke CRM sync' }).click();
    await page.getByRole('button', { name: 'Yes, revoke' }).click();
    await page.getByText(/^Revoked /).waitFor();
    const revoked = await page.request.get('/api/calls', { headers: { authorization: `Bearer ${key}` } });
    expect(revoked.status()).toBe(401);
    await page.context().close();
  }, 180_000);

  it('lets an admin add a user and change their role', async () => {
    const page = await e2e.newPage();
    await e2e.signIn(page, 'admin');
    await page.getByRole('link', { name: 'Users' }).click();
    await page.getByRole('heading', { name: 'Users', exact: true }).waitFor();
    await page.getByLabel('Username').fill('e2e-sam');
    await page.getByLabel('Password', { exact: true }).fill('e2e-sam-password-1');
    await page.getByLabel('Role', { exact: true }).selectOption('viewer');
    await page.getByRole('button', { name: 'Add user' }).click();
    await page.getByText('Added e2e-sam.').waitFor();
    await page.getByLabel('Role of e2e-sam').selectOption('editor');
    await expect.poll(async () => page.getByLabel('Role of e2e-sam').inputValue()).toBe('editor');
    await expectAccessible(page, 'users');
    await screenshot(page, 'users');
    await page.context().close();
  }, 180_000);

  it('shows a viewer no users or API keys, and the telephony settings read-only', async () => {
    const page = await e2e.newPage();
    await e2e.signIn(page, 'viewer');
    expect(await page.getByRole('link', { name: 'Users' }).count()).toBe(0);
    expect(await page.getByRole('link', { name: 'API keys' }).count()).toBe(0);
    await page.goto('/api-keys');
    await page.getByRole('heading', { name: 'Not allowed' }).waitFor();
    expect((await page.request.get('/api/api-keys')).status()).toBe(403);
    await page.goto('/settings/telephony');
    await page.getByText('Only admins can change these settings.').waitFor();
    expect(await page.getByRole('button', { name: 'Save settings' }).count()).toBe(0);
    expect(await page.getByRole('button', { name: 'Test Twilio connection' }).count()).toBe(0);
    expect(await page.content()).not.toContain(TWILIO_TOKEN);
    await page.context().close();
  }, 120_000);
});
