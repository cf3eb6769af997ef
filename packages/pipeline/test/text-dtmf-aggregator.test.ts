import { afterEach, describe, expect, it } from 'vitest';
import { VirtualClock } from '../src/clock/virtual-clock.ts';
import { frame } from '../src/frames/frames.ts';
import { ProcessorHarness } from '../src/testing/harness.ts';
import { DtmfAggregator, type DtmfAggregatorOptions } from '../src/text/dtmf-aggregator.ts';

let harness: ProcessorHarness<DtmfAggregator> | undefined;

async function start(options?: DtmfAggregatorOptions) {
  const clock = new VirtualClock();
  const h = new ProcessorHarness(new DtmfAggregator(options));
  harness = h;
  h.send(
    frame('start', { audio: { inputSampleRateHz: 8000, outputSampleRateHz: 8000 }, metadata: {}, clock }),
  );
  await h.waitFor('start');
  const press = (keys: string) => {
    for (const digit of keys) h.send(frame('dtmf_input', { digit }));
  };
  const texts = () => h.ofType('transcription').map((f) => f.text);
  return { h, clock, press, texts };
}

afterEach(() => {
  harness?.send(frame('cancel', { reason: 'test over' }));
  harness?.dispose();
  harness = undefined;
});

describe('DtmfAggregator', () => {
  it('sends the keys as one transcription when # is pressed, and passes the key frames on', async () => {
    const { h, clock, press, texts } = await start();
    press('123');
    expect(texts()).toEqual([]);
    press('#');
    expect(texts()).toEqual(['DTMF: 123#']);
    expect(h.ofType('dtmf_input').map((f) => f.digit)).toEqual(['1', '2', '3', '#']);
    expect(h.ofType('transcription')[0]).toMatchObject({ endOfUtterance: true, uninterruptible: true });
    expect(clock.pending).toBe(0);
  });

  it('sends the keys after 2 s without a key press', async () => {
    const { clock, press, texts } = await start();
    press('4');
    await clock.advance(1500);
    press('2'); // restarts the wait
    await clock.advance(1999);
    expect(texts()).toEqual([]);
    await clock.advance(1);
    expect(texts()).toEqual(['DTMF: 42']);
    press('7');
    await clock.advance(2000);
    expect(texts()).toEqual(['DTMF: 42', 'DTMF: 7']);
  });

  it('honours a custom terminator, timeout and prefix', async () => {
    const { clock, press, texts } = await start({ terminator: '*', timeoutMs: 500, prefix: 'Keys: ' });
    press('9#*');
    expect(texts()).toEqual(['Keys: 9#*']);
    press('5');
    await clock.advance(500);
    expect(texts()).toEqual(['Keys: 9#*', 'Keys: 5']);
  });

  it('waits for the timeout when there is no terminator', async () => {
    const { clock, press, texts } = await start({ terminator: null });
    press('12#');
    expect(texts()).toEqual([]);
    await clock.advance(2000);
    expect(texts()).toEqual(['DTMF: 12#']);
  });

  it('keeps collecting across an interruption', async () => {
    const { h, press, texts } = await start();
    press('12');
    h.send(frame('interruption'));
    press('34#');
    expect(texts()).toEqual(['DTMF: 1234#']);
    expect(h.types()).toContain('interruption');
  });

  it('sends what was collected when the pipeline ends, before the end frame', async () => {
    const { h, clock, press } = await start();
    press('55');
    h.send(frame('end', { reason: 'done' }));
    await h.waitFor('end');
    expect(h.types().slice(-2)).toEqual(['transcription', 'end']);
    expect(h.ofType('transcription')[0]!.text).toBe('DTMF: 55');
    expect(clock.pending).toBe(0);
  });

  it('drops what was collected when the pipeline is cancelled', async () => {
    const { h, clock, press, texts } = await start();
    press('8');
    h.send(frame('cancel', { reason: 'hang-up' }));
    await h.waitFor('cancel');
    await clock.advance(5000);
    expect(texts()).toEqual([]);
  });
});
