import path from 'node:path';
import { mulawToPcm, pcmToMulaw, readWav } from '@parley/pipeline';
import { describe, expect, it, vi } from 'vitest';
import { dialTwilio } from './helpers/answer.ts';
import { finishedCall, putAgent, speech8k, useFakeServicesServer } from './helpers/fakes.ts';
import type { TestServer } from './helpers/server.ts';

/** Says nothing first and hears nothing (no greeting, no transcripts): the recording is the caller alone. */
const LISTENER = 'listener';

describe("a call's recording", () => {
  let server: TestServer;
  useFakeServicesServer(async (started) => {
    server = started.server;
    await putAgent(server, LISTENER);
  });

  it('keeps the caller audio that arrived while the call was being stored as started', async () => {
    const calls = server.parley.calls;
    const markInProgress = calls.markInProgress.bind(calls);
    // A slow database: the pipeline runs a second after the stream's start.
    const slow = vi.spyOn(calls, 'markInProgress').mockImplementation(async (...args) => {
      await new Promise((r) => setTimeout(r, 1000));
      return markInProgress(...args);
    });
    try {
      const sim = await dialTwilio(server, LISTENER);
      await sim.connect();
      sim.start();
      await expect.poll(() => server.parley.active.size).toBe(1); // the session exists: storing the start
      const clip = speech8k('goforward').subarray(0, 16_000); // 2 s, the first half while storing
      await sim.streamAudio(clip);
      sim.hangUp();
      await sim.closed();
      const call = await finishedCall(server, (c) => c.providerCallId === sim.callSid);
      const recording = readWav(path.resolve(server.config.recordingsDir, call.recordingPath!));
      const caller = recording.pcm.filter((_, i) => i % 2 === 0); // the left channel
      const sent = mulawToPcm(pcmToMulaw(clip)); // what the server decoded
      expect(caller.length).toBe(sent.length);
      expect(Array.from(caller.subarray(0, 800))).toEqual(Array.from(sent.subarray(0, 800)));
      expect(Array.from(caller.subarray(8000, 8800))).toEqual(Array.from(sent.subarray(8000, 8800)));
    } finally {
      slow.mockRestore();
    }
  });
});
