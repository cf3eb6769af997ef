/**
 * End-to-end tests of the dashboard in a real Chromium (Debian's `chromium`, driven by
 * playwright-core) against a running Parley server: local speech services (pocketsphinx,
 * Flite), a fake OpenAI-compatible LLM, a throwaway database, an admin and a viewer.
 */
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import AxeBuilder from '@axe-core/playwright';
import { FakeOpenAIServer } from '@parley/services/testing';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, expect } from 'vitest';
import { localEngineChecker } from '../../server/src/calls/engines.ts';
import { defaultServiceFactory } from '../../server/src/calls/services.ts';
import { createUser } from '../../server/test/helpers/auth.ts';
import { startTestServer, type TestServer } from '../../server/test/helpers/server.ts';

/** Debian's Chromium (`apt-get install chromium`; `.ci/run` installs it). */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Where each page's screenshot is written (named in the README). */
export const SCREENSHOTS = path.resolve(import.meta.dirname, 'screenshots');

const DIST = path.resolve(import.meta.dirname, '../dist/index.html');

/** Passwords of the users every run creates. */
export const USERS = {
  admin: { username: 'e2e-admin', password: 'e2e-admin-password-1' },
  viewer: { username: 'e2e-viewer', password: 'e2e-viewer-password-1' },
} as const;

/** A running server and browser for one test file. */
export interface DashboardE2E {
  readonly server: TestServer;
  readonly llm: FakeOpenAIServer;
  readonly browser: Browser;
  /** A new page in a fresh browser context (no cookies), at the server's origin. */
  newPage(): Promise<Page>;
  /** Signs `page` in through the sign-in page as `who` and waits for the agents list. */
  signIn(page: Page, who: keyof typeof USERS): Promise<void>;
}

/** Options of {@link useDashboard}. */
export interface DashboardE2EOptions {
  /** A WAV file Chromium's fake microphone plays (looped) for `getUserMedia`. */
  readonly microphoneWav?: string;
}

/**
 * Starts the server and Chromium before the calling `describe` block's tests and stops them
 * after. Throws at start when the dashboard is not built (`npm test` builds it first).
 */
export function useDashboard(options: DashboardE2EOptions = {}): DashboardE2E {
  let started: { server: TestServer; llm: FakeOpenAIServer; browser: Browser } | undefined;
  const get = () => {
    if (started === undefined) throw new Error('the dashboard e2e server is not started');
    return started;
  };
  beforeAll(async () => {
    if (!existsSync(DIST))
      throw new Error('The dashboard is not built: run `npm run build -w @parley/dashboard`');
    const llm = await FakeOpenAIServer.start({ defaultReply: { text: 'Okay.' } });
    const engines = localEngineChecker();
    const server = await startTestServer(
      (config, credentials) => defaultServiceFactory(config, engines, credentials),
      { OPENAI_API_KEY: 'test-key', OPENAI_BASE_URL: llm.url },
    );
    await createUser(server.database, USERS.admin.username, 'admin', USERS.admin.password);
    await createUser(server.database, USERS.viewer.username, 'viewer', USERS.viewer.password);
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--use-fake-ui-for-media-stream',
        '--use-fake-device-for-media-stream',
        ...(options.microphoneWav === undefined
          ? []
          : [`--use-file-for-fake-audio-capture=${options.microphoneWav}`]),
      ],
    });
    started = { server, llm, browser };
  }, 120_000);
  afterAll(async () => {
    await started?.browser.close();
    await started?.server.close();
    await started?.llm.close();
  });
  return {
    get server() {
      return get().server;
    },
    get llm() {
      return get().llm;
    },
    get browser() {
      return get().browser;
    },
    async newPage() {
      const context = await get().browser.newContext({
        baseURL: get().server.url,
        viewport: { width: 1360, height: 900 },
      });
      return context.newPage();
    },
    async signIn(page, who) {
      await page.goto('/login');
      await page.getByLabel('Username').fill(USERS[who].username);
      await page.getByLabel('Password').fill(USERS[who].password);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByRole('navigation', { name: 'Main' }).waitFor();
    },
  };
}

/**
 * Runs axe-core on `page` and fails on any serious or critical violation, listing each rule
 * and the elements it found.
 */
export async function expectAccessible(page: Page, name: string): Promise<void> {
  const { violations } = await new AxeBuilder({ page }).analyze();
  const bad = violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  const lines = bad.map(
    (v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`,
  );
  expect(lines, `accessibility of ${name}`).toEqual([]);
}

/** Writes a full-page screenshot of `page` to `SCREENSHOTS/<name>.png`. */
export async function screenshot(page: Page, name: string): Promise<void> {
  await mkdir(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`), fullPage: true });
}
