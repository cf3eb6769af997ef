import path from 'node:path';
import { readWav } from '@parley/pipeline';
import { FakeOpenAIServer } from '@parley/services/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CallEventRepository } from '../src/db/call-events.ts';
import type { Call } from '../src/db/call-types.ts';
import { CallRepository } from '../src/db/calls.ts';
import { answerTwilio, twilioCaller } from './helpers/answer.ts';
import { type ChildServer, startChildServer } from './helpers/child-server.ts';
import { untilQuiet } from './helpers/e2e.ts';
import { speech8k } from './helpers/fakes.ts';
import { type FaultEnv, faultEnv } from './helpers/fault-env.ts';

/**
 * The real server as a child process is killed with SIGKILL in the middle of a call, with
 * another call still ringing; a new process started on the same data ends both with a stated
 * reason, the live one with its transcript and its recording, repaired and as long as the call.
 */
describe('kill -9 mid-call, then a restart', () => {
  let llm: FakeOpenAIServer;
  let env: FaultEnv;
  const children: ChildServer[] = [];

  beforeAll(async () => {
    llm = await FakeOpenAIServer.start({ defaultReply: { text: 'Your order ships tomorrow.' } });
    env = await faultEnv();
  });
  afterAll(async () => {
    for (const c of children) c.process.kill('SIGKILL');
    await llm?.close();
    await env?.cleanUp();
  });

  it('ends the live and the ringing call with server_lost, a transcript and a playable WAV of the call’s length', async () => {
    const childEnv = { ...env.childEnv(), LLM_URL: llm.url, SERVER_STALE_SECS: '2' };
    const first = await startChildServer(childEnv);
    children.push(first);
    const answered = await answerTwilio(first, 'fault');
    const ringing = await answerTwilio(first, 'fault'); // its stream never comes
    const sim = twilioCaller(answered);
    await sim.connect();
    const streamStart = performance.now();
    sim.start();
    await sim.withSilence(() => untilQuiet(sim, 0, 'media', 800));
    await sim.streamAudio(speech8k('goforward'));
    const saidAt = sim.now();
    await sim.withSilence(() => untilQuiet(sim, saidAt, 'media', 800));
    await sim.streamSilence(3000); // past a header rewrite, so the repair has work to do
    first.process.kill('SIGKILL');
    const streamedMs = performance.now() - streamStart;
    await first.exited;
    sim.close();

    const second = await startChildServer(childEnv);
    children.push(second);
    let database = process.env.DATABASE_URL ? await env.open() : undefined;
    if (!database) {
      // PGlite: the start-up sweep has run; the test opens the data once the child is gone.
      second.process.kill('SIGTERM');
      await second.exited;
      database = await env.open();
    }
    const calls = new CallRepository(database.db);
    const ended = async (id: string): Promise<Call | undefined> => {
      const call = await calls.get(id);
      return call?.endReason ? call : undefined;
    };
    try {
      await expect.poll(() => ended(answered.callId), { timeout: 15_000, interval: 250 }).toBeDefined();
      await expect.poll(() => ended(ringing.callId), { timeout: 15_000, interval: 250 }).toBeDefined();
      const live = (await calls.get(answered.callId))!;
      expect(live).toMatchObject({ status: 'failed', endReason: 'server_lost' });
      expect(live.transcript.find((t) => t.role === 'user')?.text).toBe('where is my order');
      expect(live.transcript.some((t) => t.role === 'assistant' && t.text.includes('ships tomorrow'))).toBe(
        true,
      );
      expect(live.recordingPath).toBeTruthy();
      const wav = readWav(path.resolve(env.recordingsDir, live.recordingPath!));
      const wavMs = (wav.pcm.length / wav.channels / wav.sampleRateHz) * 1000;
      expect(wav.channels).toBe(2);
      expect(Math.abs(wavMs - live.durationMs!)).toBeLessThan(50);
      // From the first media to the kill, less the moments before the pipeline started.
      expect(wavMs).toBeGreaterThan(streamedMs - 3000);
      expect(wavMs).toBeLessThan(streamedMs + 500);
      expect(await calls.get(ringing.callId)).toMatchObject({ status: 'failed', endReason: 'server_lost' });
      const events = await new CallEventRepository(database.db).list(answered.callId);
      expect(events.at(-1)).toMatchObject({
        type: 'call_ended',
        data: { reason: 'server_lost', recovered: true },
      });
    } finally {
      await database.close();
    }
  }, 120_000);
});
