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
      pendingMs: 1000,
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
});
