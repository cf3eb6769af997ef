import { existsSync } from 'node:fs';
import { checkLocalEngines } from '@parley/services';
import { describe, expect, it } from 'vitest';
import { DEMO_AGENT } from '../../server/src/config/agent-config.ts';
import { CHROMIUM, expectAccessible, screenshot, useDashboard } from './harness.ts';
import { type SpeakingCall, startSpeakingCall } from './live-call.ts';

const engines = await checkLocalEngines();
const REPLY = 'Nobody is available right now, but I can take a message.';

describe.skipIf(!existsSync(CHROMIUM) || !engines.stt.ok || !engines.tts.ok)(
  'the live monitor (Chromium)',
  () => {
    const e2e = useDashboard();

    it('shows a live call with its transcript; a viewer cannot end it; the admin ends it', async () => {
      const { server, llm } = e2e;
      // The demo agent without idle prompts, so that only the test ends the call.
      await server.parley.agents.upsert({
        id: 'live-e2e',
        name: 'Live monitor agent',
        config: { ...DEMO_AGENT.config, userIdle: { enabled: false } },
      });
      llm.reply({ text: REPLY });
      const admin = await e2e.newPage();
      await e2e.signIn(admin, 'admin');
      await admin.goto('/live');
      await admin.getByRole('heading', { name: 'Live calls' }).waitFor();
      await admin.getByText(/No calls in progress/).waitFor();

      let call: SpeakingCall | undefined;
      try {
        call = await startSpeakingCall(server, 'live-e2e');
        const card = admin.getByRole('article', { name: /Live monitor agent/ });
        await card.waitFor({ timeout: 20_000 });
        const transcript = card.getByRole('log');
        await expect.poll(() => transcript.textContent(), { timeout: 30_000 }).toContain('Caller:');
        await expect.poll(() => transcript.textContent(), { timeout: 30_000 }).toContain('take a message');
        await expect.poll(() => card.textContent()).toContain('+15551230000');
        await expectAccessible(admin, 'live');
        await screenshot(admin, 'live');

        // A viewer watches the same call, without the button.
        const viewer = await e2e.newPage();
        await e2e.signIn(viewer, 'viewer');
        await viewer.goto('/live');
        const viewerCard = viewer.getByRole('article', { name: /Live monitor agent/ });
        await viewerCard.waitFor({ timeout: 20_000 });
        await expect.poll(() => viewerCard.getByRole('log').textContent()).toContain('take a message');
        expect(await viewer.getByRole('button', { name: 'End call' }).count()).toBe(0);
        await expectAccessible(viewer, 'live-viewer');
        await viewer.context().close();

        // The admin ends it, after confirming.
        await card.getByRole('button', { name: 'End call' }).click();
        await admin.getByRole('alertdialog').getByRole('button', { name: 'Yes, end the call' }).click();
        await admin.getByText(/No calls in progress/).waitFor({ timeout: 20_000 });
        expect(await admin.getByRole('article').count()).toBe(0);
        await call.ended; // the server hung up the caller's line
        const stored = await server.parley.calls.get(call.callId);
        expect(stored).toMatchObject({ status: 'completed', endReason: 'ended_by_user' });
        const events = await server.parley.events.list(call.callId);
        expect(events.find((e) => e.type === 'ended_by')?.data).toMatchObject({ name: 'e2e-admin' });
      } finally {
        await call?.hangUp();
        await admin.context().close();
      }
    }, 180_000);
  },
);
