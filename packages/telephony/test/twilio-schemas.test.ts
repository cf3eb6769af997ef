import { describe, expect, it } from 'vitest';
import { decodeBase64Strict } from '../src/base64.ts';
import { checkTwilioMedia, twilioMediaSchema } from '../src/twilio/schemas.ts';

const SILENCE = Buffer.alloc(160, 0xff).toString('base64');

/** Reference grammar: RFC 4648 base64 with canonical padding; Node also decodes `-` and `_`. */
const BASE64_GRAMMAR = /^(?:[A-Za-z0-9+/_-]{4})*(?:[A-Za-z0-9+/_-]{2}==|[A-Za-z0-9+/_-]{3}=)?$/;

/** Deterministic pseudo-random numbers in [0, 1) (mulberry32). */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('decodeBase64Strict', () => {
  it('decodes valid base64 to its bytes', () => {
    expect(decodeBase64Strict(SILENCE)).toEqual(Buffer.alloc(160, 0xff));
    expect(decodeBase64Strict('AAE=')).toEqual(Buffer.from([0, 1]));
    expect(decodeBase64Strict('AA==')).toEqual(Buffer.from([0]));
  });

  it('agrees with the base64 grammar on 20 000 random strings', () => {
    const next = random(42);
    const alphabet = ['A', 'z', '0', '/', '+', '-', '_', '=', '=', '!', ' ', '\n', 'é', '.'];
    const disagreements: string[] = [];
    let valid = 0;
    for (let i = 0; i < 20_000; i++) {
      const length = 1 + Math.floor(next() * 12);
      let text = '';
      for (let j = 0; j < length; j++) text += alphabet[Math.floor(next() * alphabet.length)];
      const expected = BASE64_GRAMMAR.test(text);
      if (expected) valid++;
      if ((decodeBase64Strict(text) !== undefined) !== expected) disagreements.push(text);
    }
    expect(disagreements).toEqual([]);
    expect(valid).toBeGreaterThan(100); // both outcomes were exercised
  });
});

describe('checkTwilioMedia', () => {
  const media = (fields: object, outer: object = {}) => ({
    event: 'media',
    sequenceNumber: '2',
    streamSid: 'MZ1',
    media: { track: 'inbound', chunk: '1', timestamp: '20', payload: SILENCE, ...fields },
    ...outer,
  });
  const cases: Array<[string, Record<string, unknown>]> = [
    ['a valid message', media({})],
    ['numeric counters', media({ chunk: 1, timestamp: 20 })],
    ['no counters or track', { event: 'media', media: { payload: SILENCE } }],
    ['a negative chunk', media({ chunk: -1 })],
    ['a fractional timestamp', media({ timestamp: 2.5 })],
    ['a word as timestamp', media({ timestamp: 'soon' })],
    ['an empty string counter', media({ chunk: '' })],
    ['a numeric track', media({ track: 1 })],
    ['an empty streamSid', media({}, { streamSid: '' })],
    ['a numeric streamSid', media({}, { streamSid: 7 })],
    ['a bad sequenceNumber', media({}, { sequenceNumber: 'x' })],
    ['no media object', { event: 'media', streamSid: 'MZ1' }],
    ['media as an array', { event: 'media', media: [SILENCE] }],
    ['no payload', media({ payload: undefined })],
    ['an empty payload', media({ payload: '' })],
    ['a payload of 3 characters', media({ payload: 'AAA' })],
    ['a payload with a bad character', media({ payload: `!${SILENCE.slice(1)}` })],
    ['exactly 1 s of audio', media({ payload: Buffer.alloc(8000).toString('base64') })],
    ['over 1 s of audio', media({ payload: Buffer.alloc(8001).toString('base64') })],
  ];

  it.each(cases)('accepts or refuses %s exactly as the zod schema does', (_what, message) => {
    const hand = !('problem' in checkTwilioMedia(message));
    expect(hand).toBe(twilioMediaSchema.safeParse(message).success);
  });

  it('returns the decoded µ-law and the counters', () => {
    const result = checkTwilioMedia(media({}));
    expect(result).toEqual({ streamSid: 'MZ1', ulaw: Buffer.alloc(160, 0xff), timestampMs: 20, sequence: 1 });
  });
});
