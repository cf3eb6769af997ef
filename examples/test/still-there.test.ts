import { frame, ProcessorHarness, VirtualClock } from '@parley/pipeline';
import { describe, expect, it } from 'vitest';
import { StillThere } from '../snippets/still-there.ts';

/** A harness around a fresh StillThere (8 s), started on a virtual clock. */
async function started() {
  const clock = new VirtualClock();
  const h = new ProcessorHarness(new StillThere(8000));
  await h.start({}, {}, clock);
  return { h, clock };
}

describe('the StillThere processor of the pipeline README', () => {
  it('asks whether the caller is still there after 8 s of silence', async () => {
    // #region readme
    const clock = new VirtualClock();
    const h = new ProcessorHarness(new StillThere(8000));
    await h.start({}, {}, clock); // 8 kHz, started on the virtual clock

    h.send(frame('bot_stopped_speaking'), 'upstream'); // as the output transport reports it
    await clock.advance(7999); // instantly: runs the timers due by then, in order
    expect(h.ofType('tts_speak')).toEqual([]);
    await clock.advance(1);
    expect(h.ofType('tts_speak').map((f) => f.text)).toEqual(['Are you still there?']);
    // #endregion readme
  });

  it('stays quiet when the caller speaks first', async () => {
    const { h, clock } = await started();
    h.send(frame('bot_stopped_speaking'), 'upstream');
    await clock.advance(3000);
    h.send(frame('vad_user_started_speaking'));
    await clock.advance(10_000);
    expect(h.ofType('tts_speak')).toEqual([]);
    expect(clock.pending).toBe(0);
  });

  it('forwards every frame it sees', async () => {
    const { h } = await started();
    h.send(frame('transcription', { text: 'hello' }));
    h.send(frame('bot_stopped_speaking'), 'upstream');
    await h.waitFor('transcription');
    expect(h.ofType('bot_stopped_speaking', 'upstream')).toHaveLength(1);
  });
});
