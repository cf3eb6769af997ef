import { describe, expect, it } from 'vitest';
import { SignatureError } from '../src/errors.ts';
import { voicebotStreamUrl, voicebotUrlAnswer } from '../src/exotel/answer.ts';
import { assertExotelBasicAuth, validateExotelBasicAuth } from '../src/exotel/basic-auth.ts';

const basic = (credentials: string) => `Basic ${Buffer.from(credentials, 'utf8').toString('base64')}`;

describe('voicebotStreamUrl', () => {
  it("is the URL the dynamic answer carries, for an outbound call's StreamUrl", () => {
    const options = {
      url: 'wss://example.com/ws/exotel/support-bot',
      customParameters: { callId: 'c1', token: 't1' },
      credentials: { apiKey: 'key', apiToken: 'tok' },
    };
    expect(voicebotStreamUrl(options)).toBe(
      'wss://key:tok@example.com/ws/exotel/support-bot?callId=c1&token=t1',
    );
    expect(JSON.parse(voicebotUrlAnswer(options))).toEqual({ url: voicebotStreamUrl(options) });
  });
});

describe('voicebotUrlAnswer', () => {
  it('answers the dynamic applet URL with JSON {"url"} carrying the rate and custom parameters', () => {
    const body = voicebotUrlAnswer({
      url: 'wss://example.com/ws/exotel/support-bot',
      sampleRateHz: 8000,
      customParameters: { agentId: 'support-bot' },
    });
    expect(JSON.parse(body)).toEqual({
      url: 'wss://example.com/ws/exotel/support-bot?sample-rate=8000&agentId=support-bot',
    });
  });

  it('returns the bare URL when nothing is added, and keeps a query the URL already has', () => {
    expect(JSON.parse(voicebotUrlAnswer({ url: 'wss://example.com/ws/exotel/a' }))).toEqual({
      url: 'wss://example.com/ws/exotel/a',
    });
    expect(
      JSON.parse(voicebotUrlAnswer({ url: 'wss://example.com/ws/exotel/a?t=abc', sampleRateHz: 16000 })),
    ).toEqual({ url: 'wss://example.com/ws/exotel/a?t=abc&sample-rate=16000' });
  });

  it('percent-encodes parameter values and embeds Basic credentials', () => {
    const { url } = JSON.parse(
      voicebotUrlAnswer({
        url: 'wss://example.com/ws/exotel/a',
        customParameters: { from: '+91 98&x' },
        credentials: { apiKey: 'key', apiToken: 'tok/en@1' },
      }),
    ) as { url: string };
    expect(url).toBe('wss://key:tok%2Fen%401@example.com/ws/exotel/a?from=%2B91+98%26x');
    const parsed = new URL(url);
    expect(parsed.searchParams.get('from')).toBe('+91 98&x');
    expect(decodeURIComponent(parsed.password)).toBe('tok/en@1');
  });

  it.each([
    ['an https URL', { url: 'https://example.com/x' }],
    ['a relative URL', { url: '/ws/exotel/a' }],
    ['whitespace', { url: 'wss://example.com/a b' }],
    ['a fragment', { url: 'wss://example.com/a#f' }],
    ['credentials in the URL', { url: 'wss://k:t@example.com/a' }],
    [
      'four custom parameters',
      { url: 'wss://e.com/a', customParameters: { a: '1', b: '2', c: '3', d: '4' } },
    ],
    ['a sample-rate custom parameter', { url: 'wss://e.com/a', customParameters: { 'sample-rate': '1' } }],
    [
      'custom parameters over 256 characters',
      { url: 'wss://e.com/a', customParameters: { a: 'x'.repeat(255) } },
    ],
    ['an unsupported rate', { url: 'wss://e.com/a', sampleRateHz: 44100 as 8000 }],
    ['an API key with a colon', { url: 'wss://e.com/a', credentials: { apiKey: 'a:b', apiToken: 't' } }],
    ['an empty token', { url: 'wss://e.com/a', credentials: { apiKey: 'a', apiToken: '' } }],
  ])('refuses %s', (_what, options) => {
    expect(() => voicebotUrlAnswer(options)).toThrow(TypeError);
  });
});

describe('validateExotelBasicAuth', () => {
  const check = { apiKey: 'API_KEY', apiToken: 'API_TOKEN' };

  it('accepts the upgrade of 5.4 carrying Authorization: Basic base64(key:token)', () => {
    expect(validateExotelBasicAuth({ ...check, authorization: basic('API_KEY:API_TOKEN') })).toBe(true);
    expect(validateExotelBasicAuth({ ...check, authorization: [basic('API_KEY:API_TOKEN')] })).toBe(true);
    expect(
      validateExotelBasicAuth({ ...check, authorization: `basic  ${basic('API_KEY:API_TOKEN').slice(6)}` }),
    ).toBe(true);
  });

  it.each([
    ['a wrong token', basic('API_KEY:WRONG')],
    ['a wrong key', basic('OTHER:API_TOKEN')],
    ['a prefix of the credentials', basic('API_KEY:API_TOKE')],
    ['another scheme', `Bearer ${Buffer.from('API_KEY:API_TOKEN').toString('base64')}`],
    ['credentials that are not base64', 'Basic API_KEY:API_TOKEN'],
    ['no header', undefined],
    ['an empty header', ''],
    ['two headers', [basic('API_KEY:API_TOKEN'), basic('API_KEY:API_TOKEN')]],
  ])('refuses %s', (_what, authorization) => {
    expect(validateExotelBasicAuth({ ...check, authorization })).toBe(false);
  });

  it('throws SignatureError missing or mismatch, and TypeError for empty configured credentials', () => {
    const url = 'wss://example.com/ws/exotel/support-bot?sample-rate=8000&agentId=support-bot';
    expect(() => assertExotelBasicAuth({ ...check, authorization: undefined }, url)).toThrow(
      expect.objectContaining({ name: 'SignatureError', reason: 'missing', provider: 'exotel' }),
    );
    let caught: unknown;
    try {
      assertExotelBasicAuth({ ...check, authorization: basic('API_KEY:nope') }, url);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(SignatureError);
    expect((caught as SignatureError).reason).toBe('mismatch');
    expect(() =>
      assertExotelBasicAuth({ ...check, authorization: basic('API_KEY:API_TOKEN') }, url),
    ).not.toThrow();
    expect(() => validateExotelBasicAuth({ apiKey: '', apiToken: 't', authorization: basic(':t') })).toThrow(
      TypeError,
    );
  });
});
