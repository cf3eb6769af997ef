import { mkdtemp, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { checkLocalEngines, synthesizeWithFlite } from '@parley/services';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localEngineChecker } from '../src/calls/engines.ts';
import { defaultServiceFactory } from '../src/calls/services.ts';
import { DEMO_AGENT } from '../src/config/agent-config.ts';
import { dialTwilio } from './helpers/answer.ts';
import { untilQuiet } from './helpers/e2e.ts';
import { speech8k } from './helpers/fakes.ts';
import { startTestServer, type TestServer } from './helpers/server.ts';

const engines = await checkLocalEngines();

/**
 * The demo on a server without its set-up: pocketsphinx not (yet) where the server looks for
 * it, and no LLM key or base URL. The caller hears one short sentence per problem, then the
 * greeting; installing the engine takes effect from the next call, without a restart.
 */
describe.skipIf(!engines.stt.ok || !engines.tts.ok)('the demo without its set-up', () => {
  let server: TestServer;
  let dir: string;
  let pocketsphinx: string;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'parley-engines-'));
    pocketsphinx = path.join(dir, 'pocketsphinx_continuous');
    const checker = localEngineChecker(pocketsphinx);
    // No OPENAI_API_KEY, no OPENAI_BASE_URL: the demo agent has no language model.
    server = await startTestServer(
      (config, credentials) => defaultServiceFactory(config, checker, credentials),
      {
        LOG_LEVEL: 'error',
      },
    );
  }, 60_000);

  afterAll(async () => {
    await server?.close();
    await rm(dir, { recursive: true, force: true });
  });

  /**
   * Plays a call: hears the opening speech, says a clip and hears the answer (or, when
   * nothing can hear the caller, waits 2 s); returns what the call stored.
   */
  async function call(answered: boolean) {
    const sim = await dialTwilio(server);
    await sim.connect();
    sim.start();
    await sim.withSilence(() => untilQuiet(sim, 0));
    const openingMs = (sim.heardAudio().length / 8000) * 1000;
    await sim.streamAudio(speech8k('goforward'));
    const saidAt = sim.now();
    if (answered) await sim.withSilence(() => untilQuiet(sim, saidAt));
    else await sim.streamSilence(2000);
    sim.hangUp();
    await sim.closed();
    let events: Awaited<ReturnType<typeof server.parley.events.list>> = [];
    await expect
      .poll(
        async () => {
          const { calls } = await server.parley.calls.list({ limit: 1 });
          events = calls[0] ? await server.parley.events.list(calls[0].id) : [];
          return events.some((e) => e.type === 'call_ended');
        },
        { timeout: 5000 },
      )
      .toBe(true);
    const spoken = events.filter((e) => e.type === 'agent_spoke').map((e) => String(e.data.text));
    const heardCaller = events.some((e) => e.type === 'user_spoke');
    return { openingMs, spoken, heardCaller };
  }

  it('says each problem in one short sentence before the greeting, at most ~8 s in all', async () => {
    const first = await call(false);
    expect(first.spoken[0]).toBe(
      `Speech recognition is not installed on this server. No language model is set up for this agent. ${DEMO_AGENT.config.greeting}`,
    );
    const greeting = await synthesizeWithFlite(DEMO_AGENT.config.greeting!);
    const noticesMs = first.openingMs - (greeting.pcm.length / greeting.sampleRateHz) * 1000;
    expect(noticesMs).toBeGreaterThan(3000);
    expect(noticesMs).toBeLessThanOrEqual(8000);
    expect(first.heardCaller).toBe(false); // nothing can hear them
  }, 60_000);

  it('checks the engine again when a call starts: once installed, the next call hears the caller', async () => {
    await symlink(engines.stt.command!, pocketsphinx);
    const next = await call(true);
    expect(next.spoken[0]).toBe(`No language model is set up for this agent. ${DEMO_AGENT.config.greeting}`);
    expect(next.heardCaller).toBe(true);
    // Every turn still says what is missing, briefly.
    expect(next.spoken.at(-1)).toBe('No language model is set up for this agent.');
  }, 60_000);
});
