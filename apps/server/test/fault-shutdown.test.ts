import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { readWav } from '@parley/pipeline';
import { FakeOpenAIServer } from '@parley/services/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CallRepository } from '../src/db/calls.ts';
import type { TwilioCallSimulator } from '../src/tools/twilio-call-simulator.ts';
import { answerTwilio, twilioCaller } from './helpers/answer.ts';
import { type ChildServer, startChildServer } from './helpers/child-server.ts';
import { speech8k } from './helpers/fakes.ts';
import { type FaultEnv, faultEnv } from './helpers/fault-env.ts';

const CALLS = 20;

/** Child processes of `pid` (none once it has cleaned up). */
function childrenOf(pid: number): string[] {
  try {
    return execFileSync('pgrep', ['-P', String(pid)], { encoding: 'utf8' })
      .split('\n')
      .filter(Boolean);
  } catch {
    return []; // pgrep exits 1 when nothing matches
  }
}

/**
 * SIGTERM with 20 live calls carrying real speech: the server admits no new call and says it is
 * draining, lets the calls go on for its grace period, says goodbye, and stores every call with
 * a recording as long as the call before it exits.
 */
describe('SIGTERM with 20 live calls', () => {
  let llm: FakeOpenAIServer;
  let env: FaultEnv;
  let child: ChildServer | undefined;

  beforeAll(async () => {
    llm = await FakeOpenAIServer.start({ defaultReply: { text: 'Sure.' } });
    env = await faultEnv();
  });
  afterAll(async () => {
    child?.process.kill('SIGKILL');
    await llm?.close();
    await env?.cleanUp();
  });

  it('drains, says goodbye, stores 20 calls with matching recordings and leaves nothing behind', async () => {
    child = await startChildServer({
      ...env.childEnv(),
      LLM_URL: llm.url,
      SHUTDOWN_GRACE_SECS: '2',
      MAX_CONCURRENT_CALLS: '50',
    });
    const server = child;
    const sims: TwilioCallSimulator[] = [];
    const ids: string[] = [];
    for (let i = 0; i < CALLS; i++) {
      const answered = await answerTwilio(server, 'fault');
      ids.push(answered.callId);
      const sim = twilioCaller(answered);
      await sim.connect();
      sim.start();
      sims.push(sim);
    }
    // Every caller talks (real speech), then keeps the line open with silence.
    const lines = sims.map(async (sim) => {
      await sim.streamAudio(speech8k('goforward'));
      await sim.withSilence(() => sim.closed());
    });
    await new Promise((resolve) => setTimeout(resolve, 4000));
    const pid = child.process.pid!;
    child.process.kill('SIGTERM');

    // During the grace period: draining, and a new call is refused politely.
    await new Promise((resolve) => setTimeout(resolve, 300));
    const health = await fetch(`${server.url}/health`);
    expect(health.status).toBe(503);
    expect(await health.json()).toMatchObject({ status: 'draining', activeCalls: CALLS });
    const late = await answerTwilio(server, 'fault').catch((e: unknown) => e);
    expect(late).toBeInstanceOf(Error); // the TwiML has no stream to open

    expect(await child.exited).toBe(0);
    await Promise.all(lines);
    expect(childrenOf(pid)).toEqual([]);
    for (const sim of sims) expect(sim.messages('media').length).toBeGreaterThan(0);

    const database = await env.open();
    try {
      const calls = new CallRepository(database.db);
      for (const id of ids) {
        const call = (await calls.get(id))!;
        expect(call).toMatchObject({ status: 'completed', endReason: 'server_shutdown' });
        expect(call.transcript.some((t) => t.text.includes('Goodbye'))).toBe(true);
        const wav = readWav(path.resolve(env.recordingsDir, call.recordingPath!));
        const wavMs = (wav.pcm.length / wav.channels / wav.sampleRateHz) * 1000;
        // Never longer than the call; shorter only by what 20 real-time senders in one loaded
        // test process failed to send (they fall behind wall time, never ahead).
        expect(wavMs).toBeLessThanOrEqual(call.durationMs! + 500);
        expect(wavMs).toBeGreaterThan(call.durationMs! - 5000);
      }
    } finally {
      await database.close();
    }
  }, 120_000);
});
