import { describe, expect, it } from 'vitest';
import { vobizHangupXml, vobizSpeakAndHangupXml, vobizStreamXml } from '../src/vobiz/xml.ts';
import { SEQUENCE_5_9 } from './fixtures/vobiz-sequences.ts';

describe('vobizStreamXml', () => {
  it('answers 5.9 with a bidirectional, kept-alive µ-law stream to our WebSocket', () => {
    const step = SEQUENCE_5_9[0];
    if (step?.dir !== 'http') throw new Error('5.9 starts with an HTTP step');
    const expected = step.expectResponse as { bodyContains: string[] };
    const xml = vobizStreamXml({ url: 'wss://example.com/ws/vobiz/support-bot' });
    for (const part of expected.bodyContains) expect(xml).toContain(part);
    expect(xml).toBe(
      '<?xml version="1.0" encoding="UTF-8"?><Response><Stream bidirectional="true" keepCallAlive="true" ' +
        'contentType="audio/x-mulaw;rate=8000">wss://example.com/ws/vobiz/support-bot</Stream></Response>',
    );
  });

  it('writes the optional attributes, extraHeaders as k=v pairs', () => {
    const xml = vobizStreamXml({
      url: 'wss://example.com/ws/vobiz/support-bot',
      contentType: 'audio/x-l16;rate=16000',
      keepCallAlive: false,
      extraHeaders: { agentId: 'supportbot', tenant: 'acme' },
      statusCallbackUrl: 'https://example.com/vobiz/stream-status?a=1&b=2',
      statusCallbackMethod: 'POST',
      streamTimeoutSecs: 3600,
      maxRetries: 3,
    });
    expect(xml).toContain('keepCallAlive="false"');
    expect(xml).toContain('contentType="audio/x-l16;rate=16000"');
    expect(xml).toContain('extraHeaders="agentId=supportbot,tenant=acme"');
    expect(xml).toContain('statusCallbackUrl="https://example.com/vobiz/stream-status?a=1&amp;b=2"');
    expect(xml).toContain('statusCallbackMethod="POST"');
    expect(xml).toContain('streamTimeout="3600"');
    expect(xml).toContain('maxRetries="3"');
    expect(xml).not.toContain('audioTrack');
  });

  it('escapes the URL text', () => {
    const xml = vobizStreamXml({ url: "wss://example.com/ws/vobiz/a?x=1&y='2'" });
    expect(xml).toContain('>wss://example.com/ws/vobiz/a?x=1&amp;y=&apos;2&apos;</Stream>');
  });

  it.each([
    ['an https URL', { url: 'https://example.com/ws' }],
    ['whitespace in the URL', { url: 'wss://example.com/a b' }],
    ['a relative URL', { url: '/ws/vobiz/a' }],
    [
      'an unknown contentType',
      { url: 'wss://e.com/a', contentType: 'audio/x-mulaw;rate=16000' as 'audio/x-mulaw;rate=8000' },
    ],
    ['a hyphen in an extraHeaders value', { url: 'wss://e.com/a', extraHeaders: { agentId: 'support-bot' } }],
    ['an empty extraHeaders value', { url: 'wss://e.com/a', extraHeaders: { a: '' } }],
    ['a comma in an extraHeaders name', { url: 'wss://e.com/a', extraHeaders: { 'a,b': '1' } }],
    ['extraHeaders over 512 bytes', { url: 'wss://e.com/a', extraHeaders: { a: 'x'.repeat(511) } }],
    ['a non-http status callback', { url: 'wss://e.com/a', statusCallbackUrl: 'ftp://e.com/x' }],
    ['a zero stream timeout', { url: 'wss://e.com/a', streamTimeoutSecs: 0 }],
    ['11 retries', { url: 'wss://e.com/a', maxRetries: 11 }],
  ])('refuses %s', (_what, options) => {
    expect(() => vobizStreamXml(options)).toThrow(TypeError);
  });

  it('accepts extraHeaders of exactly 512 bytes', () => {
    expect(() =>
      vobizStreamXml({ url: 'wss://e.com/a', extraHeaders: { a: 'x'.repeat(510) } }),
    ).not.toThrow();
  });
});

describe('vobizSpeakAndHangupXml', () => {
  it('speaks escaped text then hangs up', () => {
    expect(vobizSpeakAndHangupXml('Sorry <you> & "me"')).toBe(
      '<?xml version="1.0" encoding="UTF-8"?><Response><Speak>Sorry &lt;you&gt; &amp; &quot;me&quot;</Speak><Hangup/></Response>',
    );
  });

  it('refuses blank text and characters XML cannot carry', () => {
    expect(() => vobizSpeakAndHangupXml('  ')).toThrow(TypeError);
    expect(() => vobizSpeakAndHangupXml('a\u0000b')).toThrow(TypeError);
  });
});

describe('vobizHangupXml', () => {
  it('hangs up at once, saying nothing', () => {
    expect(vobizHangupXml()).toBe('<?xml version="1.0" encoding="UTF-8"?><Response><Hangup/></Response>');
  });
});
