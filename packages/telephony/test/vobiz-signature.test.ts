import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { SignatureError } from '../src/errors.ts';
import { assertVobizSignature, validateVobizSignature } from '../src/vobiz/signature.ts';
import { SEQUENCE_5_9 } from './fixtures/vobiz-sequences.ts';

const AUTH_TOKEN = 'test_vobiz_token';
const URL_5_9 = 'https://example.com/vobiz/answer/support-bot';
const NONCE = '12345678901234567890';

/** The formulas of https://docs.vobiz.ai/concepts/validating-callbacks, written out independently. */
const v3 = (token: string, baseUrl: string, nonce: string) =>
  createHmac('sha256', token).update(`${baseUrl}.${nonce}`).digest('base64');
const v2 = (token: string, baseUrl: string, nonce: string) =>
  createHmac('sha256', token)
    .update(baseUrl + nonce)
    .digest('base64');

describe('validateVobizSignature', () => {
  it('accepts the V3 signature of the 5.9 answer_url request', () => {
    const step = SEQUENCE_5_9[0];
    if (step?.dir !== 'http') throw new Error('5.9 starts with an HTTP step');
    const request = step.request as { url: string; headers: Record<string, string> };
    expect(request.url).toBe(URL_5_9);
    const headers = {
      'content-type': 'application/x-www-form-urlencoded',
      'x-vobiz-signature-v3': v3(AUTH_TOKEN, URL_5_9, request.headers['X-Vobiz-Signature-V3-Nonce']!),
      'x-vobiz-signature-v3-nonce': request.headers['X-Vobiz-Signature-V3-Nonce'],
    };
    expect(validateVobizSignature({ authToken: AUTH_TOKEN, url: request.url, headers })).toBe(true);
  });

  it('signs the URL without its query string', () => {
    const headers = {
      'x-vobiz-signature-v3': v3(AUTH_TOKEN, URL_5_9, NONCE),
      'x-vobiz-signature-v3-nonce': NONCE,
    };
    expect(validateVobizSignature({ authToken: AUTH_TOKEN, url: `${URL_5_9}?agent=a&b=1`, headers })).toBe(
      true,
    );
  });

  it('accepts V2 (no "." between URL and nonce), and not a V2 signature computed the V3 way', () => {
    const good = {
      'x-vobiz-signature-v2': v2(AUTH_TOKEN, URL_5_9, NONCE),
      'x-vobiz-signature-v2-nonce': NONCE,
    };
    expect(validateVobizSignature({ authToken: AUTH_TOKEN, url: URL_5_9, headers: good })).toBe(true);
    const v3Way = {
      'x-vobiz-signature-v2': v3(AUTH_TOKEN, URL_5_9, NONCE),
      'x-vobiz-signature-v2-nonce': NONCE,
    };
    expect(validateVobizSignature({ authToken: AUTH_TOKEN, url: URL_5_9, headers: v3Way })).toBe(false);
  });

  it('finds headers written in another case', () => {
    const headers = {
      'X-Vobiz-Signature-V3': v3(AUTH_TOKEN, URL_5_9, NONCE),
      'X-Vobiz-Signature-V3-Nonce': NONCE,
    };
    expect(validateVobizSignature({ authToken: AUTH_TOKEN, url: URL_5_9, headers })).toBe(true);
  });

  it.each([
    [
      'another token',
      { 'x-vobiz-signature-v3': v3('other', URL_5_9, NONCE), 'x-vobiz-signature-v3-nonce': NONCE },
    ],
    [
      'another nonce',
      { 'x-vobiz-signature-v3': v3(AUTH_TOKEN, URL_5_9, NONCE), 'x-vobiz-signature-v3-nonce': '1' },
    ],
    [
      'another URL',
      { 'x-vobiz-signature-v3': v3(AUTH_TOKEN, `${URL_5_9}/x`, NONCE), 'x-vobiz-signature-v3-nonce': NONCE },
    ],
    ['no nonce', { 'x-vobiz-signature-v3': v3(AUTH_TOKEN, URL_5_9, NONCE) }],
    ['no signature', { 'x-vobiz-signature-v3-nonce': NONCE }],
    ['only the legacy SHA-1 header', { 'x-vobiz-signature': 'abc=' }],
    ['two signature headers', { 'x-vobiz-signature-v3': ['a', 'b'], 'x-vobiz-signature-v3-nonce': NONCE }],
  ])('refuses %s', (_what, headers) => {
    expect(validateVobizSignature({ authToken: AUTH_TOKEN, url: URL_5_9, headers })).toBe(false);
  });

  it('accepts a request whose V2 is valid even when its V3 is not', () => {
    const headers = {
      'x-vobiz-signature-v3': 'bm9wZQ==',
      'x-vobiz-signature-v3-nonce': NONCE,
      'x-vobiz-signature-v2': v2(AUTH_TOKEN, URL_5_9, '999'),
      'x-vobiz-signature-v2-nonce': '999',
    };
    expect(validateVobizSignature({ authToken: AUTH_TOKEN, url: URL_5_9, headers })).toBe(true);
  });

  it('throws SignatureError missing or mismatch, and TypeError for an empty token', () => {
    const missing = () => assertVobizSignature({ authToken: AUTH_TOKEN, url: URL_5_9, headers: {} });
    expect(missing).toThrow(SignatureError);
    expect(missing).toThrow(expect.objectContaining({ reason: 'missing', provider: 'vobiz', url: URL_5_9 }));
    const wrong = {
      'x-vobiz-signature-v3': v3('other', URL_5_9, NONCE),
      'x-vobiz-signature-v3-nonce': NONCE,
    };
    expect(() => assertVobizSignature({ authToken: AUTH_TOKEN, url: URL_5_9, headers: wrong })).toThrow(
      expect.objectContaining({ reason: 'mismatch' }),
    );
    expect(() => validateVobizSignature({ authToken: '', url: URL_5_9, headers: {} })).toThrow(TypeError);
  });
});
