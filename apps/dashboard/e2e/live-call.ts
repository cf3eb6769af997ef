/**
 * A phone call for the live monitor's browser tests: plays Twilio against the e2e server (its
 * voice webhook, then the Media Streams protocol), says a real speech clip after the greeting
 * and keeps the line open with silence until the call ends.
 */
import { answerTwilio, twilioCaller } from '../../server/src/tools/answer-call.ts';
import type { TwilioCallSimulator } from '../../server/src/tools/twilio-call-simulator.ts';
import { untilQuiet } from '../../server/test/helpers/e2e.ts';
import { speech8k } from '../../server/test/helpers/fakes.ts';
import type { TestServer } from '../../server/test/helpers/server.ts';

/** A call in progress, started by {@link startSpeakingCall}. */
export interface SpeakingCall {
  /** Our id of the call. */
  readonly callId: string;
  readonly sim: TwilioCallSimulator;
  /** Resolves when the media stream is closed, by either side. */
  readonly ended: Promise<{ code: number; reason: string }>;
  /** Hangs up as the caller (if the line is still open) and waits for the line to go quiet. */
  hangUp(): Promise<void>;
}

/**
 * Dials `agent` on `server` as a Twilio caller, waits for the greeting to finish, says the 8 kHz
 * clip `clip` (from `test-fixtures/speech/8k`), and returns while the line keeps carrying silence.
 */
export async function startSpeakingCall(
  server: TestServer,
  agent: string,
  clip = 'ast-vm-nobodyavail',
): Promise<SpeakingCall> {
  const answered = await answerTwilio(server, agent);
  const sim = twilioCaller(answered);
  await sim.connect();
  sim.start();
  const ended = sim.closed();
  await sim.withSilence(() => untilQuiet(sim, 0));
  await sim.streamAudio(speech8k(clip));
  // A phone line always carries audio: silence until the call ends.
  const line = sim.withSilence(() => ended);
  return {
    callId: answered.callId,
    sim,
    ended,
    async hangUp() {
      if (sim.isOpen) sim.hangUp();
      await ended;
      await line;
    },
  };
}
