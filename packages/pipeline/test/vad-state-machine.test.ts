import { describe, expect, it } from 'vitest';
import { VadError } from '../src/vad/vad-errors.ts';
import { DEFAULT_VAD_PARAMS, resolveVadParams } from '../src/vad/vad-params.ts';
import { VadStateMachine, type VadTransition } from '../src/vad/vad-state-machine.ts';

const WINDOW_SECS = 0.032; // Silero: 256 samples at 8 kHz
const SPEECH = [0.95, 0.8] as const; // confidence, volume
const SILENCE = [0.05, 0.45] as const;

/** Feeds `pattern` ('S' speech, '.' silence, 'q' confident but quiet, 'u' loud but unsure) and collects transitions. */
function run(m: VadStateMachine, pattern: string): VadTransition[] {
  const out: VadTransition[] = [];
  for (const c of pattern) {
    const [p, v] = c === 'S' ? SPEECH : c === 'q' ? [0.95, 0.3] : c === 'u' ? [0.5, 0.9] : SILENCE;
    const t = m.update(p, v);
    if (t) out.push(t);
  }
  return out;
}

describe('VadStateMachine', () => {
  it('uses the documented defaults', () => {
    expect(DEFAULT_VAD_PARAMS).toEqual({ confidence: 0.7, startSecs: 0.2, stopSecs: 0.2, minVolume: 0.6 });
    const m = new VadStateMachine(WINDOW_SECS);
    expect(m.startWindows).toBe(6); // round(0.2 / 0.032)
    expect(m.stopWindows).toBe(6);
  });

  it('does not start on blips shorter than startSecs', () => {
    const m = new VadStateMachine(WINDOW_SECS);
    expect(run(m, '....SSSSS.SSS..SSSSS....SS......')).toEqual([]);
    expect(m.state).toBe('quiet');
    expect(m.speaking).toBe(false);
  });

  it('starts after startSecs of consecutive speech, reporting where the speech began', () => {
    const m = new VadStateMachine(WINDOW_SECS);
    expect(run(m, '...SSSSS')).toEqual([]);
    expect(m.state).toBe('starting');
    expect(run(m, 'S')).toEqual([{ type: 'started', atWindow: 8, sinceWindow: 3 }]);
    expect(m.state).toBe('speaking');
    expect(m.speaking).toBe(true);
  });

  it('does not stop on a pause shorter than stopSecs', () => {
    const m = new VadStateMachine(WINDOW_SECS);
    const t = run(m, 'SSSSSS' + 'SSS.....SSSS.SS..SSSSS');
    expect(t.map((x) => x.type)).toEqual(['started']);
    expect(m.state).toBe('speaking');
  });

  it('stops after stopSecs of consecutive silence, reporting where the silence began', () => {
    const m = new VadStateMachine(WINDOW_SECS);
    const t = run(m, 'SSSSSSSSSS......');
    expect(t).toEqual([
      { type: 'started', atWindow: 5, sinceWindow: 0 },
      { type: 'stopped', atWindow: 15, sinceWindow: 10 },
    ]);
    expect(m.state).toBe('quiet');
    expect(m.speaking).toBe(false);
  });

  it('is still "speaking" while stopping', () => {
    const m = new VadStateMachine(WINDOW_SECS);
    run(m, 'SSSSSS...');
    expect(m.state).toBe('stopping');
    expect(m.speaking).toBe(true);
  });

  it('needs both confidence and volume for a speech window', () => {
    const m = new VadStateMachine(WINDOW_SECS);
    expect(run(m, 'qqqqqqqqqquuuuuuuuuu')).toEqual([]);
    // Quiet windows inside speech count as silence.
    expect(run(m, 'SSSSSSqqqqqq').map((t) => t.type)).toEqual(['started', 'stopped']);
  });

  it('honours custom timing (e.g. a longer stopSecs for no separate endpointing)', () => {
    const m = new VadStateMachine(WINDOW_SECS, { startSecs: 0.1, stopSecs: 0.8 });
    expect(m.startWindows).toBe(3);
    expect(m.stopWindows).toBe(25);
    const t = run(m, `SSS${'.'.repeat(24)}S${'.'.repeat(25)}`);
    expect(t).toEqual([
      { type: 'started', atWindow: 2, sinceWindow: 0 },
      { type: 'stopped', atWindow: 52, sinceWindow: 28 },
    ]);
  });

  it('reset goes back to quiet and restarts window counting', () => {
    const m = new VadStateMachine(WINDOW_SECS);
    run(m, 'SSSSSSS');
    m.reset();
    expect(m.state).toBe('quiet');
    expect(m.windows).toBe(0);
    expect(run(m, 'SSSSSS')).toEqual([{ type: 'started', atWindow: 5, sinceWindow: 0 }]);
  });

  it('fills undefined parameters with the defaults', () => {
    expect(
      resolveVadParams({
        confidence: undefined,
        startSecs: undefined,
        stopSecs: undefined,
        minVolume: undefined,
      }),
    ).toEqual(DEFAULT_VAD_PARAMS);
    expect(resolveVadParams({ confidence: undefined, stopSecs: 0.5 })).toEqual({
      ...DEFAULT_VAD_PARAMS,
      stopSecs: 0.5,
    });
    expect(() => new VadStateMachine(WINDOW_SECS, { minVolume: undefined })).not.toThrow();
  });

  it('rejects parameters out of range', () => {
    for (const bad of [
      { confidence: 1.5 },
      { minVolume: -0.1 },
      { startSecs: -1 },
      { stopSecs: Number.NaN },
    ]) {
      expect(() => resolveVadParams(bad)).toThrow(VadError);
      expect(() => new VadStateMachine(WINDOW_SECS, bad)).toThrow(
        expect.objectContaining({ code: 'invalid_params' }),
      );
    }
    expect(() => new VadStateMachine(0)).toThrow(RangeError);
  });
});
