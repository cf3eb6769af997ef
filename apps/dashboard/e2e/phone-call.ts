/**
 * A real phone call for the dashboard's end-to-end tests: a Twilio caller emulator dials an
 * agent through the voice webhook, hears the greeting, says a recorded sentence, hears the
 * reply and hangs up; the call is then stored with its transcript, events and recording.
 */
import { answerTwilio, twilioCaller } from '../../server/src/tools/answer-call.ts';
import { untilQuiet } from '../../server/test/helpers/e2e.ts';
import { speech8k } from '../../server/test/helpers/fakes.ts';
import type { TestServer } from '../../server/test/helpers/server.ts';

/** The numbers the emulated Twilio webhook announces (see `answerTwilio`). */
export const CALLER = '+15551230000';
export const CALLED = '+15557654321';

/**
 * Places one short inbound Twilio call to `agent` saying the 8 kHz clip `clip` of
 * `test-fixtures/speech`, and waits until the server stored it as completed with its recording
 * and its caller's turn timing.
 * @returns the call's id.
 */
export async function placeShortCall(
  server: TestServer,
  agent = 'demo',
  clip = 'ast-vm-nobodyavail',
): Promise<string> {
  const answered = await answerTwilio(server, agent);
  const sim = twilioCaller(answered);
  await sim.connect();
  sim.start();
  await sim.withSilence(() => untilQuiet(sim, 0, 'media', 1200, 30_000));
  await sim.streamAudio(speech8k(clip));
  const saidAt = sim.now();
  await sim.withSilence(() => untilQuiet(sim, saidAt, 'media', 1200, 30_000));
  sim.hangUp();
  await sim.closed();
  // Storing the end of the call, its recording and its last events takes a moment after hang-up.
  const deadline = Date.now() + 15_000;
  for (;;) {
    const call = await server.parley.calls.get(answered.callId);
    const events = await server.parley.events.list(answered.callId);
    if (
      call?.status === 'completed' &&
      call.recordingPath !== null &&
      events.some((e) => e.type === 'turn')
    ) {
      return answered.callId;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `call ${answered.callId} was not stored completed with a recording and a turn: ${call?.status}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}
