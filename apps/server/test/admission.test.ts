import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { CallAdmission } from '../src/telephony/admission.ts';

describe('CallAdmission (the concurrency limit)', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('counts running sessions and accepted calls awaiting their stream against the limit', () => {
    let running = 1;
    const admission = new CallAdmission(() => running);
    expect(admission.tryAdmit('a', 2)).toBe(true);
    expect(admission.tryAdmit('a', 2)).toBe(true); // a webhook retry keeps its place
    expect(admission.tryAdmit('b', 2)).toBe(false);
    expect(admission.tryAdmit('b', null)).toBe(true);
    admission.release('a');
    admission.release('b');
    running = 0;
    expect(admission.count).toBe(0);
    admission.clear();
  });

  it('reports a call whose stream never came, once, and frees its place', () => {
    const abandoned: string[] = [];
    const admission = new CallAdmission(() => 0, {
      streamWaitMs: 1000,
      onAbandoned: (id) => abandoned.push(id),
    });
    admission.tryAdmit('lost', 1);
    admission.tryAdmit('streamed', null);
    admission.release('streamed');
    vi.advanceTimersByTime(999);
    expect(abandoned).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(abandoned).toEqual(['lost']);
    expect(admission.count).toBe(0);
    vi.advanceTimersByTime(10_000);
    expect(abandoned).toEqual(['lost']);
  });

  it('lets a ringing outbound call wait long for its answer, then its stream only briefly', () => {
    const abandoned: string[] = [];
    const admission = new CallAdmission(() => 0, {
      streamWaitMs: 1000,
      answerWaitMs: 60_000,
      onAbandoned: (id) => abandoned.push(id),
    });
    admission.tryAdmit('outbound', 1, 'answer');
    vi.advanceTimersByTime(30_000);
    expect(abandoned).toEqual([]);
    // Answered: its webhook admits it again, and now its stream has a second to come.
    expect(admission.tryAdmit('outbound', 1)).toBe(true);
    vi.advanceTimersByTime(1000);
    expect(abandoned).toEqual(['outbound']);
    expect(admission.count).toBe(0);
  });

  it('applies the default limit when the settings set none', () => {
    const admission = new CallAdmission(() => 1, { defaultLimit: 2 });
    expect(admission.tryAdmit('a', null)).toBe(true);
    expect(admission.tryAdmit('b', null)).toBe(false);
    // A limit from the settings wins over the default.
    expect(admission.tryAdmit('b', 3)).toBe(true);
    admission.clear();
  });
});
