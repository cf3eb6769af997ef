/** Reading a stored call's page (`/calls/:id`) in the dashboard's end-to-end tests. */
import type { Locator, Page } from 'playwright-core';
import { expect } from 'vitest';

/** Seconds of an `m:ss` or `m:ss.t` label. */
export function clockSeconds(text: string): number {
  const match = /^(\d+):(\d{2})(?:\.(\d))?$/.exec(text.trim());
  if (match === null) throw new Error(`unexpected time ${text}`);
  return Number(match[1]) * 60 + Number(match[2]) + Number(match[3] ?? 0) / 10;
}

/** The player's label: `position / duration`. */
async function playerTimes(page: Page): Promise<[string, string]> {
  const text = (await page.getByRole('timer', { name: 'Playback position' }).textContent()) ?? '';
  const [position = '', duration = ''] = text.split('/');
  return [position, duration];
}

/** The player's position, seconds. */
export async function positionSeconds(page: Page): Promise<number> {
  return clockSeconds((await playerTimes(page))[0]);
}

/** The recording's length, seconds (0 until it is loaded). */
export async function durationSeconds(page: Page): Promise<number> {
  return clockSeconds((await playerTimes(page))[1]);
}

/** The lines of the call's transcript (each with its speaker, time and text). */
export function transcriptLines(page: Page): Locator {
  return page.locator('ol.transcript > li');
}

/**
 * Waits until the call page's recording is loaded: Play enabled and the waveforms drawn
 * (Playwright's CSS locators pierce wavesurfer's shadow root). Returns the Play button.
 */
export async function recordingLoaded(page: Page, timeoutMs = 20_000): Promise<Locator> {
  const play = page.getByRole('button', { name: 'Play' });
  await expect.poll(() => play.isEnabled(), { timeout: timeoutMs }).toBe(true);
  await expect.poll(() => page.locator('.player-waveform canvas').count()).toBeGreaterThan(0);
  return play;
}
