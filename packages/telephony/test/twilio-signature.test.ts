import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { SignatureError } from '../src/errors.ts';
import { publicRequestUrl } from '../src/public-url.ts';
import { assertTwilioSignature, validateTwilioSignature } from '../src/twilio/signature.ts';

// Vectors of section 5.3 of the protocol notes (docs/telephony-protocols.md).
const AUTH_TOKEN = 'test_token';
const WEBHOOK_URL = 'https://example.com/voice/support-bot';
const WEBHOOK_PARAMS = { AccountSid: 'AC123', CallSid: 'CA123', From: '+15551230000', To: '+15557654321' };
const WEBHOOK_SIGNATURE = 'CZx2hyMSmyJoce2u54OChj6sT4M=';
const STREAM_URL = 'wss://example.com/ws/twilio/support-bot';
const STREAM_SIGNATURE = 'JRC3Z6EyI+uYo/b5hgSzBtrSeLk=';

describe('validateTwilioSignature', () => {
  it('accepts the signed voice webhook of 5.3', () => {
    expect(
      validateTwilioSignature({
        authToken: AUTH_TOKEN,
        signature: WEBHOOK_SIGNATURE,
        url: WEBHOOK_URL,
        params: WEBHOOK_PARAMS,
      }),
    ).toBe(true);
  });

  it('accepts the signed wss:// upgrade of 5.3 with no params', () => {
    expect(
      validateTwilioSignature({ authToken: AUTH_TOKEN, signature: STREAM_SIGNATURE, url: STREAM_URL }),
    ).toBe(true);
  });

  it('refuses the upgrade when checked against the https:// form of the URL', () => {
    const url = STREAM_URL.replace('wss:', 'https:');
    expect(validateTwilioSignature({ authToken: AUTH_TOKEN, signature: STREAM_SIGNATURE, url })).toBe(false);
  });

  it('refuses a changed parameter, another token, another URL and a missing signature', () => {
    const base = {
      authToken: AUTH_TOKEN,
      signature: WEBHOOK_SIGNATURE,
      url: WEBHOOK_URL,
      params: WEBHOOK_PARAMS,
    };
    expect(validateTwilioSignature({ ...base, params: { ...WEBHOOK_PARAMS, To: '+15550000000' } })).toBe(
      false,
    );
    expect(validateTwilioSignature({ ...base, authToken: 'other_token' })).toBe(false);
    expect(validateTwilioSignature({ ...base, url: 'https://example.com/voice/other-bot' })).toBe(false);
    expect(validateTwilioSignature({ ...base, signature: undefined })).toBe(false);
    expect(validateTwilioSignature({ ...base, signature: '' })).toBe(false);
    expect(validateTwilioSignature({ ...base, signature: [WEBHOOK_SIGNATURE] })).toBe(true);
    expect(validateTwilioSignature({ ...base, signature: [WEBHOOK_SIGNATURE, WEBHOOK_SIGNATURE] })).toBe(
      false,
    );
  });

  it('signs repeated form keys value by value, sorted', () => {
    const url = 'https://example.com/status';
    const signature = createHmac('sha1', AUTH_TOKEN).update(`${url}Eventa1Eventa2`).digest('base64');
    const params = { Event: ['a2', 'a1'] };
    expect(validateTwilioSignature({ authToken: AUTH_TOKEN, signature, url, params })).toBe(true);
  });

  it('returns false for a URL that cannot be parsed', () => {
    expect(validateTwilioSignature({ authToken: AUTH_TOKEN, signature: 'x', url: 'not a url' })).toBe(false);
  });

  it('throws on an empty auth token rather than checking with an empty key', () => {
    const signature = createHmac('sha1', '').update(WEBHOOK_URL).digest('base64');
    expect(() => validateTwilioSignature({ authToken: '', signature, url: WEBHOOK_URL })).toThrow(TypeError);
  });
});

describe('assertTwilioSignature', () => {
  it('passes a valid request and throws SignatureError with the reason otherwise', () => {
    expect(() =>
      assertTwilioSignature({ authToken: AUTH_TOKEN, signature: STREAM_SIGNATURE, url: STREAM_URL }),
    ).not.toThrow();
    const missing = () =>
      assertTwilioSignature({ authToken: AUTH_TOKEN, signature: undefined, url: STREAM_URL });
    expect(missing).toThrow(SignatureError);
    expect(missing).toThrow(
      expect.objectContaining({ reason: 'missing', provider: 'twilio', url: STREAM_URL }),
    );
    const wrong = () =>
      assertTwilioSignature({ authToken: AUTH_TOKEN, signature: WEBHOOK_SIGNATURE, url: STREAM_URL });
    expect(wrong).toThrow(expect.objectContaining({ reason: 'mismatch' }));
  });
});

describe('publicRequestUrl', () => {
  it('rebuilds the URL Twilio signed behind a proxy, from the configured origin', () => {
    const url = publicRequestUrl('https://example.com/', '/voice/support-bot');
    expect(url).toBe(WEBHOOK_URL);
    expect(
      validateTwilioSignature({
        authToken: AUTH_TOKEN,
        signature: WEBHOOK_SIGNATURE,
        url,
        params: WEBHOOK_PARAMS,
      }),
    ).toBe(true);
  });

  it('rebuilds the wss:// URL of a stream upgrade', () => {
    const url = publicRequestUrl('https://example.com', '/ws/twilio/support-bot', { websocket: true });
    expect(url).toBe(STREAM_URL);
    expect(validateTwilioSignature({ authToken: AUTH_TOKEN, signature: STREAM_SIGNATURE, url })).toBe(true);
  });

  it('keeps the path prefix, port and query exactly as given', () => {
    expect(publicRequestUrl('https://Example.com:8443/parley', "/voice/x?a=1&b=it's")).toBe(
      "https://Example.com:8443/parley/voice/x?a=1&b=it's",
    );
    expect(publicRequestUrl('http://localhost:3000', '/ws/twilio/x', { websocket: true })).toBe(
      'ws://localhost:3000/ws/twilio/x',
    );
    expect(publicRequestUrl('wss://example.com', '/voice')).toBe('https://example.com/voice');
  });

  it.each([
    ['a relative origin', 'example.com', '/x'],
    ['an ftp origin', 'ftp://example.com', '/x'],
    ['an origin with a query', 'https://example.com?a=1', '/x'],
    ['an origin with credentials', 'https://u:p@example.com', '/x'],
    ['a path without a leading slash', 'https://example.com', 'x'],
  ])('refuses %s', (_what, origin, path) => {
    expect(() => publicRequestUrl(origin, path)).toThrow(TypeError);
  });
});
