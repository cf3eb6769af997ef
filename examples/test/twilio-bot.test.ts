import path from 'node:path';
import { readWav } from '@parley/pipeline';
import { checkLocalEngines } from '@parley/services';
import { FakeOpenAIServer } from '@parley/services/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TwilioCallSimulator } from '../../apps/server/src/tools/twilio-call-simulator.ts';
import { startTwilioBot, type TwilioBot } from '../twilio-bot/server.ts';

const CLIP = path.resolve(import.meta.dirname, '../../test-fixtures/speech/8k/goforward.wav');
const engines = await checkLocalEngines();
const missing = [engines.stt, engines.tts].find((e) => !e.ok)?.reason;

/** Wait until the caller has heard nothing new from the bot for `quietMs` after `sinceMs`. */
async function untilQuiet(sim: TwilioCallSimulator, sinceMs: number, quietMs = 1000): Promise<void> {
  await sim.waitFor(
    () => {
      const last = sim
        .messages('media')
        .filter((m) => m.atMs >= sinceMs)
        .at(-1);
      return last !== undefined && sim.now() - last.atMs > quietMs;
    },
    20_000,
    'the bot to finish speaking',
  );
}

describe.skipIf(missing !== undefined)(
  `the Twilio bot example${missing ? ` (skipped: ${missing})` : ''}`,
  () => {
    let llm: FakeOpenAIServer;
    let bot: TwilioBot;

    beforeAll(async () => {
      llm = await FakeOpenAIServer.start();
      bot = await startTwilioBot({ llm: { apiKey: 'test', baseUrl: llm.url }, logLevel: 'silent' });
    });

    afterAll(async () => {
      await bot?.close();
      await llm?.close();
    });

    it('answers the voice webhook with TwiML that connects a Media Stream', async () => {
      const res = await fetch(`${bot.url}/twiml`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: 'CallSid=CA1&From=%2B15550100',
      });
      expect(res.headers.get('content-type')).toContain('text/xml');
      // Without PUBLIC_URL the stream URL comes from the Host header Twilio used.
      const host = new URL(bot.url).host;
      expect(await res.text()).toContain(`<Connect><Stream url="wss://${host}/media"/></Connect>`);
    });

    it('greets the caller, hears them, and answers through the LLM', async () => {
      llm.reply({ text: 'Sure, going forward ten meters.' });
      const sim = new TwilioCallSimulator({ url: `${bot.url.replace(/^http/, 'ws')}/media` });
      await sim.connect();
      sim.start();
      await sim.withSilence(() => untilQuiet(sim, 0)); // the greeting

      await sim.streamAudio(readWav(CLIP).pcm); // "go forward ten meters"
      const saidAt = sim.now();
      await sim.withSilence(async () => {
        await sim.waitFor(() => llm.requests.length > 0, 20_000, 'the LLM request');
        await untilQuiet(sim, saidAt);
      });
      sim.stop();
      await sim.closed();

      const user = llm.requests[0]!.messages.filter((m) => m.role === 'user').at(-1);
      expect(String(user?.content).toLowerCase()).toContain('forward');
      const reply = sim.messages('media').filter((m) => m.atMs > saidAt);
      expect(reply.length).toBeGreaterThan(50); // over a second of 20 ms µ-law frames
      expect(sim.messages('mark').length).toBeGreaterThanOrEqual(2); // greeting and reply
    }, 60_000);
  },
);
