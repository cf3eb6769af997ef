import { describe, expect, it, vi } from 'vitest';
import { PlaybackTracker } from '../src/calls/playback-tracker.ts';

describe('PlaybackTracker (waiting for the provider to play our last audio)', () => {
  it('resolves at once when every mark was echoed', async () => {
    const t = new PlaybackTracker();
    t.sent('a');
    t.acknowledged('a');
    await expect(t.whenPlayed(10_000)).resolves.toBeUndefined();
  });

  it('waits for the last outstanding mark, ignoring echoes of marks it never sent', async () => {
    vi.useFakeTimers();
    try {
      const t = new PlaybackTracker();
      t.sent('a');
      t.sent('b');
      let done = false;
      const played = t.whenPlayed(3000).then(() => {
        done = true;
      });
      t.acknowledged('a');
      t.acknowledged('stale');
      await vi.advanceTimersByTimeAsync(1000);
      expect(done).toBe(false);
      t.acknowledged('b');
      await played;
      expect(done).toBe(true);
    } finally {
      vi.useRealTimers();
    }
  });

  it('stops waiting when the provider cleared its buffer, or after the timeout', async () => {
    vi.useFakeTimers();
    try {
      const cleared = new PlaybackTracker();
      cleared.sent('a');
      const a = cleared.whenPlayed(3000);
      cleared.cleared();
      await expect(a).resolves.toBeUndefined();

      const lost = new PlaybackTracker();
      lost.sent('a');
      let done = false;
      const b = lost.whenPlayed(3000).then(() => {
        done = true;
      });
      await vi.advanceTimersByTimeAsync(2999);
      expect(done).toBe(false);
      await vi.advanceTimersByTimeAsync(1);
      await b;
      expect(done).toBe(true);
    } finally {
      vi.useRealTimers();
    }
  });
});
