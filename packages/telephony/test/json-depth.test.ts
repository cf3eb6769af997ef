import { describe, expect, it } from 'vitest';
import { jsonNestsDeeperThan } from '../src/json-depth.ts';

describe('jsonNestsDeeperThan', () => {
  it('counts nested arrays and objects, not brackets inside strings', () => {
    expect(jsonNestsDeeperThan('{"a":[1]}', 1)).toBe(true);
    expect(jsonNestsDeeperThan('{"a":[1]}', 2)).toBe(false);
    expect(jsonNestsDeeperThan('{"a":"[[[[{{{{"}', 1)).toBe(false);
    expect(jsonNestsDeeperThan('[{},{},{},[]]', 2)).toBe(false);
  });

  it('ends a string only at a quote not escaped by an odd run of backslashes', () => {
    expect(jsonNestsDeeperThan(String.raw`{"a":"\"[[[["}`, 1)).toBe(false);
    expect(jsonNestsDeeperThan(String.raw`{"a":"\\",[[1]]}`, 2)).toBe(true);
    expect(jsonNestsDeeperThan(String.raw`{"a":"\\\"[[["}`, 1)).toBe(false);
  });

  it('leaves malformed text to the parser', () => {
    expect(jsonNestsDeeperThan('{"unterminated: [[[[[[', 1)).toBe(false);
    expect(jsonNestsDeeperThan(']]]]', 1)).toBe(false);
  });

  it('stops at the first bracket too deep, so a long nested text costs little', () => {
    // JSON.parse spends 100 ms or more on this.
    const deep = '['.repeat(500_000) + ']'.repeat(500_000);
    const started = performance.now();
    expect(jsonNestsDeeperThan(deep, 16)).toBe(true);
    expect(performance.now() - started).toBeLessThan(50);
  });
});
