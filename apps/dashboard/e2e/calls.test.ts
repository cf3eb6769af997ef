import { existsSync } from 'node:fs';
import { checkLocalEngines } from '@parley/services';
import type { Locator, Page } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  clockSeconds,
  durationSeconds,
  positionSeconds,
  recordingLoaded,
  transcriptLines,
} from './call-page.ts';
import { CHROMIUM, expectAccessible, screenshot, useDashboard } from './harness.ts';
import { CALLER, placeShortCall } from './phone-call.ts';

const engines = await checkLocalEngines();

/** The numbers in the From column of the calls table. */
async function fromNumbers(page: Page): Promise<string[]> {
  const rows = page.locator('table.calls-table tbody tr');
  return rows.evaluateAll((trs) => trs.map((tr) => tr.querySelectorAll('td')[3]?.textContent ?? ''));
}

describe.skipIf(!existsSync(CHROMIUM) || !engines.stt.ok || !engines.tts.ok)('calls (Chromium)', () => {
  const e2e = useDashboard();
  let callId: string;

  beforeAll(async () => {
    // One sentence: a reply of several could be cut by the caller hanging up between them.
    e2e.llm.reply({ text: 'Sure, I can take a message for you.' });
    callId = await placeShortCall(e2e.server);
    // A second call that the filters must tell apart from the real one.
    await e2e.server.parley.calls.create({
      agentId: 'demo',
      provider: 'twilio',
      direction: 'outbound',
      status: 'no_answer',
      from: '+15557654321',
      to: '+442071234567',
    });
  }, 120_000);

  it('lists the calls and filters them through the URL', async () => {
    const page = await e2e.newPage();
    await e2e.signIn(page, 'viewer');
    await page.goto('/calls');
    await page.getByText('Calls 1–2 of 2').waitFor();
    expect((await fromNumbers(page)).sort()).toEqual([CALLER, '+15557654321']);
    await expectAccessible(page, 'calls list');
    await screenshot(page, 'calls');

    await page.getByLabel('Direction').selectOption('inbound');
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await page.getByText('Calls 1–1 of 1').waitFor();
    expect(new URL(page.url()).search).toBe('?direction=inbound');
    expect(await fromNumbers(page)).toEqual([CALLER]);

    await page.getByRole('button', { name: 'Clear' }).click();
    await page.getByText('Calls 1–2 of 2').waitFor();
    await page.getByLabel('Phone number').fill('+4420*');
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await page.getByText('Calls 1–1 of 1').waitFor();
    expect(await fromNumbers(page)).toEqual(['+15557654321']);

    // Days are the browser's: the call's day holds both calls, the next day none.
    const createdAt = (await e2e.server.parley.calls.get(callId))?.createdAt.toISOString() ?? '';
    const [today, tomorrow] = await page.evaluate(
      (iso) =>
        [0, 1].map((add) => {
          const d = new Date(iso);
          d.setDate(d.getDate() + add);
          const pad = (n: number) => String(n).padStart(2, '0');
          return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
        }),
      createdAt,
    );
    await page.getByRole('button', { name: 'Clear' }).click();
    await page.getByText('Calls 1–2 of 2').waitFor();
    await page.getByLabel('From day').fill(tomorrow ?? '');
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await page.getByText('No calls match these filters.').waitFor();
    await page.getByLabel('From day').fill(today ?? '');
    await page.getByLabel('To day').fill(today ?? '');
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await page.getByText('Calls 1–2 of 2').waitFor();
    expect(new URL(page.url()).search).toBe(`?from=${today}&to=${today}`);

    // The URL alone restores the filters (a shared link, a reload).
    await page.goto('/calls?status=completed&number=%2B1555*');
    await page.getByText('Calls 1–1 of 1').waitFor();
    expect(await page.getByLabel('Status').inputValue()).toBe('completed');
    expect(await fromNumbers(page)).toEqual([CALLER]);
    await page.goto('/calls?status=busy');
    await page.getByText('No calls match these filters.').waitFor();

    await page.goto('/calls?direction=inbound');
    await page.locator('table.calls-table tbody tr a').first().click();
    await page.getByRole('heading', { name: `Call from ${CALLER}` }).waitFor();
    expect(new URL(page.url()).pathname).toBe(`/calls/${callId}`);
    await page.context().close();
  }, 90_000);

  it('plays the recording with the transcript aligned, and shows the waterfall', async () => {
    const page = await e2e.newPage();
    await e2e.signIn(page, 'admin');
    await page.goto(`/calls/${callId}`);
    await page.getByRole('heading', { name: `Call from ${CALLER}` }).waitFor();
    const play = await recordingLoaded(page);

    // The transcript: the greeting, what the caller said (one line per turn), the reply.
    const lines = transcriptLines(page);
    await expect.poll(() => lines.count()).toBeGreaterThanOrEqual(3);
    const reply = lines.filter({ hasText: 'take a message' }).first();
    expect(await reply.textContent()).toContain('Bot');

    // One waterfall per caller turn (a pause in the clip can split it in two), every stage in
    // order; the turn that was answered has its bars up to the first sentence played.
    const turns = page.locator('table.waterfall-turn');
    await expect.poll(() => turns.count()).toBeGreaterThanOrEqual(1);
    for (const table of await turns.all()) {
      expect(await table.getByRole('rowheader').allTextContents()).toEqual([
        'Caller stopped',
        'STT final',
        'LLM first token',
        'First sentence',
        'TTS first audio',
        'First audio sent',
        'First sentence played',
      ]);
    }
    const answered = turns.filter({ has: page.locator('caption', { hasText: '· played ·' }) });
    expect(await answered.count()).toBeGreaterThanOrEqual(1);
    expect(await answered.first().locator('.waterfall-bar').count()).toBeGreaterThanOrEqual(5);
    expect(await answered.first().locator('caption').textContent()).toMatch(
      /\d+ ms to first sentence played/,
    );

    await expectAccessible(page, 'call');
    await screenshot(page, 'call');

    await play.click();
    await page.getByRole('button', { name: 'Pause' }).waitFor();
    await expect.poll(() => positionSeconds(page), { timeout: 15_000 }).toBeGreaterThan(0.5);

    // Clicking a line seeks there and highlights it. The caller's first line is picked: the
    // transcript's times are the server's clock, the recording's the caller's audio, and an
    // emulated caller on a loaded machine leaves gaps, so late lines can fall past its end.
    await page.getByRole('button', { name: 'Pause' }).click();
    const duration = await durationSeconds(page);
    let target: { line: Locator; seconds: number } | undefined;
    for (const line of await lines.all()) {
      const seconds = clockSeconds((await line.locator('.transcript-time').textContent()) ?? '');
      if (seconds >= 1 && seconds <= duration - 1) {
        target = { line, seconds };
        break;
      }
    }
    if (target === undefined) throw new Error(`no transcript line inside the ${duration} s recording`);
    await target.line.getByRole('button').click();
    await expect.poll(() => positionSeconds(page)).toBeGreaterThanOrEqual(target.seconds);
    expect(await positionSeconds(page)).toBeLessThan(target.seconds + 2);
    await expect.poll(() => target.line.getAttribute('aria-current')).toBe('true');
    await page.context().close();
  }, 90_000);
});
