import { describe, expect, it } from 'vitest';
import { connectStreamTwiml, rejectTwiml, sayAndHangupTwiml } from '../src/twilio/twiml.ts';

const XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>';

describe('connectStreamTwiml', () => {
  it('connects the call to a bidirectional stream carrying the custom parameters', () => {
    const twiml = connectStreamTwiml({
      url: 'wss://example.com/ws/twilio/support-bot',
      parameters: { agentId: 'support-bot', from: '+15551230000' },
    });
    expect(twiml).toBe(
      `${XML_DECLARATION}<Response><Connect><Stream url="wss://example.com/ws/twilio/support-bot">` +
        '<Parameter name="agentId" value="support-bot"/><Parameter name="from" value="+15551230000"/>' +
        '</Stream></Connect></Response>',
    );
  });

  it('adds the stream name and status callback when given', () => {
    const twiml = connectStreamTwiml({
      url: 'wss://example.com/ws/twilio/support-bot',
      name: 'agent',
      statusCallback: 'https://example.com/twilio/stream-status',
      statusCallbackMethod: 'POST',
    });
    expect(twiml).toContain(
      '<Stream url="wss://example.com/ws/twilio/support-bot" name="agent" ' +
        'statusCallback="https://example.com/twilio/stream-status" statusCallbackMethod="POST"/>',
    );
  });

  it('escapes parameter names and values', () => {
    const twiml = connectStreamTwiml({ url: 'wss://example.com/ws', parameters: { 'a"b': '<&>' } });
    expect(twiml).toContain('<Parameter name="a&quot;b" value="&lt;&amp;>"/>');
  });

  it.each([
    ['an https URL', 'https://example.com/ws'],
    ['a query string', 'wss://example.com/ws?agent=x'],
    ['a fragment', 'wss://example.com/ws#x'],
    ['a relative URL', '/ws/twilio/x'],
    ['a tab in it', 'wss://example.com/ws/\tx'],
  ])('refuses a stream url with %s', (_what, url) => {
    expect(() => connectStreamTwiml({ url })).toThrow(TypeError);
  });

  it('refuses a non-http status callback, an empty parameter name and characters XML cannot carry', () => {
    const url = 'wss://example.com/ws';
    expect(() => connectStreamTwiml({ url, statusCallback: 'ftp://example.com/s' })).toThrow(TypeError);
    expect(() => connectStreamTwiml({ url, parameters: { '': 'x' } })).toThrow(TypeError);
    expect(() => connectStreamTwiml({ url, parameters: { a: 'nul\u0000' } })).toThrow(TypeError);
    expect(() => connectStreamTwiml({ url, parameters: { a: 'bell\u0007' } })).toThrow(TypeError);
    expect(() => sayAndHangupTwiml('unpaired \ud800 surrogate')).toThrow(TypeError);
    expect(connectStreamTwiml({ url, parameters: { a: 'tab\tnewline\n😀' } })).toContain(
      'value="tab&#x9;newline&#xA;😀"',
    );
  });
});

describe('sayAndHangupTwiml', () => {
  it('says the text, then hangs up', () => {
    expect(sayAndHangupTwiml('Sorry, this number is not in service.')).toBe(
      `${XML_DECLARATION}<Response><Say>Sorry, this number is not in service.</Say><Hangup/></Response>`,
    );
  });

  it('escapes the text and refuses an empty one', () => {
    expect(sayAndHangupTwiml('a < b & c')).toContain('<Say>a &lt; b &amp; c</Say>');
    expect(() => sayAndHangupTwiml('  ')).toThrow(TypeError);
  });
});

describe('rejectTwiml', () => {
  it('rejects the call without answering it', () => {
    expect(rejectTwiml()).toBe(`${XML_DECLARATION}<Response><Reject/></Response>`);
  });
});
