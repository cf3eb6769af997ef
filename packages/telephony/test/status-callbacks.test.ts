import { describe, expect, it } from 'vitest';
import { ProviderProtocolError } from '../src/errors.ts';
import { parseExotelStatusCallback } from '../src/exotel/status-callback.ts';
import { parseTwilioStatusCallback } from '../src/twilio/status-callback.ts';
import { parseVobizStatusCallback } from '../src/vobiz/status-callback.ts';

// Forms shaped as the providers document their call status callbacks (protocol notes 1.4, 2.4, 3.4).

const TWILIO_COMPLETED = {
  AccountSid: 'AC00000000000000000000000000000001',
  ApiVersion: '2010-04-01',
  CallSid: 'CA00000000000000000000000000000002',
  CallStatus: 'completed',
  CallDuration: '42',
  CallbackSource: 'call-progress-events',
  Called: '+15557654321',
  Caller: '+15551230000',
  Direction: 'outbound-api',
  From: '+15551230000',
  To: '+15557654321',
  SequenceNumber: '3',
  Timestamp: 'Tue, 01 Jan 2030 10:00:42 +0000',
};

const VOBIZ_HANGUP = {
  Event: 'Hangup',
  CallUUID: '6b0ae5b1-3d4c-11ef-bef9-0242ac110005',
  RequestUUID: '6b0ae5b1-3d4c-11ef-bef9-0242ac110005',
  From: '919876543210',
  To: '918047491899',
  Direction: 'outbound',
  CallStatus: 'completed',
  Duration: '37',
  BillDuration: '60',
  HangupCause: 'NORMAL_CLEARING',
};

const EXOTEL_TERMINAL = {
  CallSid: 'c0ffee00c0ffee00c0ffee00c0ffee00',
  EventType: 'terminal',
  Status: 'completed',
  DateCreated: '2030-01-01 10:00:00',
  DateUpdated: '2030-01-01 10:01:01',
  To: '08047491899',
  From: '+919876543210',
  PhoneNumberSid: '08047491899',
  StartTime: '2030-01-01 10:00:00',
  EndTime: '2030-01-01 10:01:01',
  ConversationDuration: '61',
  Direction: 'outbound-api',
  RecordingUrl: '',
};

describe('parseTwilioStatusCallback', () => {
  it('reads a completed callback with its duration and keeps every field in raw', () => {
    expect(parseTwilioStatusCallback(TWILIO_COMPLETED)).toEqual({
      providerCallId: 'CA00000000000000000000000000000002',
      status: 'completed',
      durationSecs: 42,
      raw: TWILIO_COMPLETED,
    });
  });

  it.each([
    ['queued', 'ringing'],
    ['initiated', 'ringing'],
    ['ringing', 'ringing'],
    ['in-progress', 'in_progress'],
    ['completed', 'completed'],
    ['busy', 'busy'],
    ['failed', 'failed'],
    ['no-answer', 'no_answer'],
    ['canceled', 'canceled'],
  ])('maps CallStatus %s to %s', (callStatus, status) => {
    const { CallDuration: _, ...form } = TWILIO_COMPLETED;
    const update = parseTwilioStatusCallback({ ...form, CallStatus: callStatus });
    expect(update?.status).toBe(status);
    expect(update).not.toHaveProperty('durationSecs');
  });

  it('returns undefined for a status it does not map, or none', () => {
    expect(parseTwilioStatusCallback({ ...TWILIO_COMPLETED, CallStatus: 'constructor' })).toBeUndefined();
    const { CallStatus: _, ...form } = TWILIO_COMPLETED;
    expect(parseTwilioStatusCallback(form)).toBeUndefined();
  });

  it('takes the first value of a repeated field, as a form parser gives it', () => {
    const update = parseTwilioStatusCallback({ ...TWILIO_COMPLETED, CallStatus: ['busy', 'completed'] });
    expect(update?.status).toBe('busy');
  });

  it('throws ProviderProtocolError invalid_callback without CallSid or with a bad CallDuration', () => {
    const { CallSid: _, ...noSid } = TWILIO_COMPLETED;
    expect(() => parseTwilioStatusCallback(noSid)).toThrow(ProviderProtocolError);
    expect(() => parseTwilioStatusCallback(noSid)).toThrow(
      expect.objectContaining({
        code: 'invalid_callback',
        provider: 'twilio',
        message: expect.stringMatching(/lacks CallSid/),
      }),
    );
    expect(() => parseTwilioStatusCallback({ ...TWILIO_COMPLETED, CallSid: '' })).toThrow(/invalid CallSid/);
    expect(() => parseTwilioStatusCallback({ ...TWILIO_COMPLETED, CallDuration: '4.2' })).toThrow(
      expect.objectContaining({ code: 'invalid_callback' }),
    );
    expect(() => parseTwilioStatusCallback('CallSid=CA1')).toThrow(
      expect.objectContaining({ code: 'invalid_callback' }),
    );
    expect(() => parseTwilioStatusCallback(null)).toThrow(ProviderProtocolError);
  });
});

describe('parseVobizStatusCallback', () => {
  it('reads the hangup_url callback: final status, Duration in seconds, raw fields', () => {
    expect(parseVobizStatusCallback(VOBIZ_HANGUP)).toEqual({
      providerCallId: '6b0ae5b1-3d4c-11ef-bef9-0242ac110005',
      status: 'completed',
      durationSecs: 37,
      raw: VOBIZ_HANGUP,
    });
  });

  it.each([
    ['busy', 'busy'],
    ['failed', 'failed'],
    ['no-answer', 'no_answer'],
    ['timeout', 'no_answer'],
    ['cancel', 'canceled'],
  ])('maps a Hangup with CallStatus %s to %s', (callStatus, status) => {
    expect(parseVobizStatusCallback({ ...VOBIZ_HANGUP, CallStatus: callStatus })?.status).toBe(status);
  });

  it('makes a Hangup final even without a final CallStatus, from HangupCause', () => {
    const { CallStatus: _, ...form } = VOBIZ_HANGUP;
    expect(parseVobizStatusCallback(form)?.status).toBe('completed');
    expect(parseVobizStatusCallback({ ...form, HangupCause: 'USER_BUSY' })?.status).toBe('busy');
    expect(parseVobizStatusCallback({ ...form, HangupCause: 'NO_ANSWER' })?.status).toBe('no_answer');
    expect(parseVobizStatusCallback({ ...form, HangupCause: 'ORIGINATOR_CANCEL' })?.status).toBe('canceled');
    expect(parseVobizStatusCallback({ ...VOBIZ_HANGUP, CallStatus: 'in-progress' })?.status).toBe(
      'completed',
    );
  });

  it('reads ring and answer callbacks by their CallStatus', () => {
    const ring = {
      CallUUID: VOBIZ_HANGUP.CallUUID,
      Event: 'Ring',
      CallStatus: 'ringing',
      Direction: 'outbound',
    };
    expect(parseVobizStatusCallback(ring)?.status).toBe('ringing');
    const answer = { ...ring, Event: 'StartApp', CallStatus: 'in-progress' };
    expect(parseVobizStatusCallback(answer)).toMatchObject({ status: 'in_progress' });
    expect(parseVobizStatusCallback(answer)).not.toHaveProperty('durationSecs');
  });

  it('returns undefined for a non-hangup callback without a status it maps', () => {
    expect(
      parseVobizStatusCallback({ CallUUID: VOBIZ_HANGUP.CallUUID, Event: 'StartStream' }),
    ).toBeUndefined();
  });

  it('throws ProviderProtocolError invalid_callback without CallUUID', () => {
    const { CallUUID: _, ...form } = VOBIZ_HANGUP;
    expect(() => parseVobizStatusCallback(form)).toThrow(
      expect.objectContaining({
        code: 'invalid_callback',
        provider: 'vobiz',
        message: expect.stringMatching(/CallUUID/),
      }),
    );
    expect(() => parseVobizStatusCallback({ ...VOBIZ_HANGUP, Duration: '-1' })).toThrow(
      ProviderProtocolError,
    );
  });
});

describe('parseExotelStatusCallback', () => {
  it('reads the terminal callback: status, ConversationDuration in seconds, raw fields', () => {
    expect(parseExotelStatusCallback(EXOTEL_TERMINAL)).toEqual({
      providerCallId: 'c0ffee00c0ffee00c0ffee00c0ffee00',
      status: 'completed',
      durationSecs: 61,
      raw: EXOTEL_TERMINAL,
    });
  });

  it.each([
    ['busy', 'busy'],
    ['failed', 'failed'],
    ['no-answer', 'no_answer'],
  ])('maps a terminal callback with Status %s to %s', (exotelStatus, status) => {
    expect(parseExotelStatusCallback({ ...EXOTEL_TERMINAL, Status: exotelStatus })?.status).toBe(status);
  });

  it('maps EventType answered to in_progress and ringing to ringing', () => {
    const answered = {
      ...EXOTEL_TERMINAL,
      EventType: 'answered',
      Status: 'in-progress',
      ConversationDuration: '0',
    };
    expect(parseExotelStatusCallback(answered)?.status).toBe('in_progress');
    expect(parseExotelStatusCallback({ ...answered, EventType: 'ringing', Status: 'ringing' })?.status).toBe(
      'ringing',
    );
  });

  it('reads the basic callback (no EventType) by its Status', () => {
    const basic = {
      CallSid: EXOTEL_TERMINAL.CallSid,
      Status: 'no-answer',
      RecordingUrl: '',
      DateUpdated: '2030-01-01 10:00:30',
    };
    expect(parseExotelStatusCallback(basic)).toMatchObject({ status: 'no_answer' });
    expect(parseExotelStatusCallback({ ...basic, Status: 'something-new' })).toBeUndefined();
  });

  it('treats a terminal event without a final Status as completed', () => {
    expect(parseExotelStatusCallback({ ...EXOTEL_TERMINAL, Status: 'in-progress' })?.status).toBe(
      'completed',
    );
  });

  it('accepts a JSON body, whose numbers are taken as text', () => {
    const json = { ...EXOTEL_TERMINAL, ConversationDuration: 61, Legs: [{ Id: 1 }] };
    const update = parseExotelStatusCallback(json);
    expect(update).toMatchObject({ status: 'completed', durationSecs: 61 });
    expect(update?.raw.ConversationDuration).toBe('61');
    expect(update?.raw).not.toHaveProperty('Legs');
  });

  it('throws ProviderProtocolError invalid_callback without CallSid', () => {
    const { CallSid: _, ...form } = EXOTEL_TERMINAL;
    expect(() => parseExotelStatusCallback(form)).toThrow(
      expect.objectContaining({ code: 'invalid_callback', provider: 'exotel' }),
    );
  });
});
