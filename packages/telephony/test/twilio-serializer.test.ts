import { describe, expect, it } from 'vitest';
import { ProviderProtocolError, type ProviderProtocolErrorCode } from '../src/errors.ts';
import { TwilioSerializer } from '../src/twilio/serializer.ts';
import type { ProviderEvent } from '../src/types.ts';
import {
  expandTokens,
  SEQUENCE_5_1,
  SEQUENCE_5_2,
  type Step,
  ULAW_SIL_20MS,
} from './fixtures/twilio-sequences.ts';

const SID_1 = 'MZ00000000000000000000000000000001';
const SID_2 = 'MZ00000000000000000000000000000002';
const SILENCE_20MS = new Int16Array(160);

/** Feeds the `in` steps to the serializer and checks each `out` step against what it encodes. */
function replay(serializer: TwilioSerializer, steps: Step[]): ProviderEvent[] {
  const events: ProviderEvent[] = [];
  for (const step of expandTokens(steps)) {
    if (step.dir === 'in') {
      events.push(serializer.parse(JSON.stringify(step.msg)));
    } else if (step.dir === 'out') {
      const expected = JSON.stringify(step.msg);
      switch (step.msg.event) {
        case 'media':
          expect(serializer.encodeAudio(SILENCE_20MS, 8000)).toBe(expected);
          break;
        case 'mark':
          expect(serializer.encodeMark((step.msg.mark as { name: string }).name)).toBe(expected);
          break;
        case 'clear':
          expect(serializer.encodeClear()).toBe(expected);
          break;
        default:
          throw new Error(`unexpected out step ${String(step.msg.event)}`);
      }
    }
  }
  return events;
}

function startMessage(overrides: { mediaFormat?: object; streamSid?: string; start?: object } = {}): string {
  const streamSid = overrides.streamSid ?? SID_1;
  return JSON.stringify({
    event: 'start',
    sequenceNumber: '1',
    streamSid,
    start: {
      streamSid,
      accountSid: 'AC00000000000000000000000000000001',
      callSid: 'CA00000000000000000000000000000001',
      tracks: ['inbound'],
      customParameters: {},
      mediaFormat: overrides.mediaFormat ?? { encoding: 'audio/x-mulaw', sampleRate: 8000, channels: 1 },
      ...overrides.start,
    },
  });
}

function mediaMessage(payload: unknown, extra: object = {}): string {
  return JSON.stringify({
    event: 'media',
    sequenceNumber: '2',
    streamSid: SID_1,
    media: { track: 'inbound', chunk: '1', timestamp: '20', payload, ...extra },
  });
}

function started(): TwilioSerializer {
  const serializer = new TwilioSerializer();
  serializer.parse(startMessage());
  return serializer;
}

function protocolError(run: () => unknown): ProviderProtocolError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(ProviderProtocolError);
    return error as ProviderProtocolError;
  }
  throw new Error('expected a ProviderProtocolError');
}

function expectCode(run: () => unknown, code: ProviderProtocolErrorCode): ProviderProtocolError {
  const error = protocolError(run);
  expect(error.code).toBe(code);
  expect(error.provider).toBe('twilio');
  return error;
}

describe('TwilioSerializer: protocol sequences', () => {
  it('replays 5.1 (greeting, caller speaks, caller hangs up) into the expected events', () => {
    const silence = { type: 'media', audio: SILENCE_20MS, sampleRateHz: 8000 } as const;
    expect(replay(new TwilioSerializer(), SEQUENCE_5_1)).toEqual([
      { type: 'connected' },
      {
        type: 'start',
        streamId: SID_1,
        callId: 'CA00000000000000000000000000000001',
        accountId: 'AC00000000000000000000000000000001',
        customParameters: { agentId: 'support-bot', from: '+15551230000' },
        mediaFormat: { encoding: 'mulaw', sampleRateHz: 8000, channels: 1 },
        tracks: ['inbound'],
      },
      { ...silence, timestampMs: 20, sequence: 1 },
      { type: 'mark', name: 'greeting-1' },
      { ...silence, timestampMs: 40, sequence: 2 },
      { ...silence, timestampMs: 60, sequence: 3 },
      { type: 'stop' },
    ]);
  });

  it('replays 5.2 (clear, pending-mark echo, DTMF, stop) into the expected events', () => {
    const events = replay(new TwilioSerializer(), SEQUENCE_5_2);
    expect(events.map((e) => e.type)).toEqual(['connected', 'start', 'media', 'mark', 'dtmf', 'stop']);
    expect(events[1]).toMatchObject({
      streamId: SID_2,
      callId: 'CA00000000000000000000000000000002',
      customParameters: {},
    });
    expect(events[3]).toEqual({ type: 'mark', name: 'turn-1' });
    expect(events[4]).toEqual({ type: 'dtmf', digit: '1' });
  });

  it('decodes a 160-byte µ-law payload into 160 PCM samples at 8000 Hz', () => {
    const event = started().parse(mediaMessage(ULAW_SIL_20MS));
    expect(event.type).toBe('media');
    if (event.type !== 'media') return;
    expect(event.audio).toBeInstanceOf(Int16Array);
    expect(event.audio.length).toBe(160);
    expect(event.sampleRateHz).toBe(8000);
  });

  it('accepts counters sent as numbers and media without chunk or timestamp', () => {
    const serializer = started();
    expect(serializer.parse(mediaMessage(ULAW_SIL_20MS, { chunk: 7, timestamp: 140 }))).toMatchObject({
      sequence: 7,
      timestampMs: 140,
    });
    const bare = serializer.parse(JSON.stringify({ event: 'media', media: { payload: ULAW_SIL_20MS } }));
    expect(bare).toMatchObject({ type: 'media', timestampMs: undefined, sequence: undefined });
  });

  it('remembers the streamSid from start', () => {
    const serializer = new TwilioSerializer();
    expect(serializer.streamSid).toBeUndefined();
    serializer.parse(startMessage());
    expect(serializer.streamSid).toBe(SID_1);
  });
});

describe('TwilioSerializer: outbound messages', () => {
  it('encodes media, mark and clear exactly as the protocol doc shows', () => {
    const serializer = started();
    expect(serializer.encodeAudio(SILENCE_20MS, 8000)).toBe(
      `{"event":"media","streamSid":"${SID_1}","media":{"payload":"${ULAW_SIL_20MS}"}}`,
    );
    expect(serializer.encodeMark('greeting-1')).toBe(
      `{"event":"mark","streamSid":"${SID_1}","mark":{"name":"greeting-1"}}`,
    );
    expect(serializer.encodeClear()).toBe(`{"event":"clear","streamSid":"${SID_1}"}`);
  });

  it('escapes mark names as JSON', () => {
    const mark = started().encodeMark('say "hi"\n');
    expect(JSON.parse(mark)).toEqual({ event: 'mark', streamSid: SID_1, mark: { name: 'say "hi"\n' } });
  });

  it('encodes a chunk taken from the middle of a larger buffer (subarray offsets)', () => {
    const buffer = new Int16Array(480);
    buffer.fill(1000, 0, 160);
    const message = started().encodeAudio(buffer.subarray(160, 320), 8000);
    expect(message).toContain(ULAW_SIL_20MS);
  });

  it('refuses to encode before start, at another rate, or an empty chunk', () => {
    const fresh = new TwilioSerializer();
    expectCode(() => fresh.encodeAudio(SILENCE_20MS, 8000), 'not_started');
    expectCode(() => fresh.encodeMark('m'), 'not_started');
    expectCode(() => fresh.encodeClear(), 'not_started');
    const serializer = started();
    expectCode(() => serializer.encodeAudio(new Int16Array(320), 16000), 'unsupported_sample_rate');
    expectCode(() => serializer.encodeAudio(new Int16Array(0), 8000), 'invalid_audio');
  });
});

describe('TwilioSerializer: refused messages', () => {
  it('refuses malformed JSON', () => {
    const error = expectCode(() => new TwilioSerializer().parse('{"event":"media",'), 'malformed_json');
    expect(error.cause).toBeUndefined();
  });

  it.each(['[1,2]', '"media"', 'null', '42', 'true'])('refuses non-object JSON %s', (text) => {
    expectCode(() => new TwilioSerializer().parse(text), 'invalid_message');
  });

  it('refuses a message without an event name', () => {
    expectCode(() => new TwilioSerializer().parse('{"streamSid":"MZ1"}'), 'invalid_message');
    expectCode(() => new TwilioSerializer().parse('{"event":42}'), 'invalid_message');
  });

  it('passes an unknown event through as unknown, not as an error', () => {
    expect(started().parse('{"event":"transcription","data":1}')).toEqual({
      type: 'unknown',
      event: 'transcription',
    });
  });

  it('refuses media before start', () => {
    expectCode(() => new TwilioSerializer().parse(mediaMessage(ULAW_SIL_20MS)), 'media_before_start');
  });

  it.each([
    ['a character outside the alphabet', `${ULAW_SIL_20MS.slice(0, 100)}!${ULAW_SIL_20MS.slice(101)}`],
    ['a length that is not a multiple of 4', ULAW_SIL_20MS.slice(0, 215)],
    ['padding in the middle', `AA==${ULAW_SIL_20MS.slice(4)}`],
    ['three padding characters', 'A==='],
    ['whitespace', `${ULAW_SIL_20MS.slice(0, 108)}\n${ULAW_SIL_20MS.slice(109)}`],
  ])('refuses a payload with %s', (_what, payload) => {
    expectCode(() => started().parse(mediaMessage(payload)), 'invalid_audio');
  });

  it('accepts the URL-safe base64 alphabet, which decodes to the same bytes', () => {
    const event = started().parse(mediaMessage(ULAW_SIL_20MS.replaceAll('/', '_')));
    expect(event).toMatchObject({ type: 'media', audio: SILENCE_20MS });
  });

  it('refuses an empty payload and one over 1 s of audio, accepts exactly 1 s', () => {
    expectCode(() => started().parse(mediaMessage('')), 'invalid_audio');
    const oneSecond = Buffer.alloc(8000, 0xff).toString('base64');
    expect(started().parse(mediaMessage(oneSecond))).toMatchObject({ type: 'media' });
    const tooLong = Buffer.alloc(8003, 0xff).toString('base64');
    expectCode(() => started().parse(mediaMessage(tooLong)), 'invalid_audio');
  });

  it('refuses a payload that fits the character limit but decodes past 8000 bytes', () => {
    const justOver = Buffer.alloc(8001, 0xff).toString('base64');
    expect(justOver.length).toBe(10_668); // as long as the base64 of 8000 bytes
    expectCode(() => started().parse(mediaMessage(justOver)), 'invalid_audio');
  });

  it('refuses media whose payload or counters have the wrong type', () => {
    expectCode(() => started().parse(mediaMessage(42)), 'invalid_message');
    expectCode(() => started().parse(`{"event":"media","streamSid":"${SID_1}"}`), 'invalid_message');
    expectCode(() => started().parse(mediaMessage(ULAW_SIL_20MS, { timestamp: 'soon' })), 'invalid_message');
    expectCode(() => started().parse(mediaMessage(ULAW_SIL_20MS, { chunk: -1 })), 'invalid_message');
  });

  it.each([
    ['another encoding', { encoding: 'audio/x-l16', sampleRate: 8000, channels: 1 }],
    ['another rate', { encoding: 'audio/x-mulaw', sampleRate: 16000, channels: 1 }],
    ['two channels', { encoding: 'audio/x-mulaw', sampleRate: 8000, channels: 2 }],
  ])('refuses a start with %s as unsupported_encoding', (_what, mediaFormat) => {
    const serializer = new TwilioSerializer();
    expectCode(() => serializer.parse(startMessage({ mediaFormat })), 'unsupported_encoding');
    expect(serializer.streamSid).toBeUndefined();
  });

  it('refuses a start without a callSid or with non-string custom parameters', () => {
    expectCode(
      () => new TwilioSerializer().parse(startMessage({ start: { callSid: undefined } })),
      'invalid_message',
    );
    expectCode(
      () => new TwilioSerializer().parse(startMessage({ start: { customParameters: { n: 1 } } })),
      'invalid_message',
    );
  });

  it('refuses a second start and messages for another stream', () => {
    const serializer = started();
    expectCode(() => serializer.parse(startMessage({ streamSid: SID_2 })), 'duplicate_start');
    expectCode(
      () =>
        serializer.parse(
          JSON.stringify({ event: 'media', streamSid: SID_2, media: { payload: ULAW_SIL_20MS } }),
        ),
      'stream_mismatch',
    );
    expectCode(
      () => serializer.parse(JSON.stringify({ event: 'mark', streamSid: SID_2, mark: { name: 'x' } })),
      'stream_mismatch',
    );
  });

  it('refuses a DTMF message whose digit is not a key', () => {
    const dtmf = (digit: string) => JSON.stringify({ event: 'dtmf', streamSid: SID_1, dtmf: { digit } });
    expect(started().parse(dtmf('#'))).toEqual({ type: 'dtmf', digit: '#' });
    expectCode(() => started().parse(dtmf('12')), 'invalid_message');
  });

  it('refuses a message over 64 KiB before parsing it', () => {
    expectCode(() => started().parse(mediaMessage('A'.repeat(70_000))), 'message_too_large');
  });

  it('refuses a deeply nested message before parsing it, and parses shallow ones as before', () => {
    const deep = `{"event":"media","x":${'['.repeat(20_000)}${']'.repeat(20_000)}}`;
    // Valid JSON that JSON.parse takes milliseconds over: refused by the scan, never parsed.
    expectCode(() => new TwilioSerializer().parse(deep), 'message_too_deep');
    // Brackets inside strings are not nesting.
    const stringy = JSON.stringify({ event: 'teleport', note: '['.repeat(5000) });
    expect(new TwilioSerializer().parse(stringy)).toEqual({ type: 'unknown', event: 'teleport' });
  });

  it('keeps working after a refused message', () => {
    const serializer = started();
    expectCode(() => serializer.parse(mediaMessage('!!!!')), 'invalid_audio');
    expect(serializer.parse(mediaMessage(ULAW_SIL_20MS))).toMatchObject({ type: 'media' });
  });

  it('keeps only a short excerpt of the offending message, without its audio', () => {
    const payload = `${ULAW_SIL_20MS.repeat(20).slice(0, 4000)}!!!!`;
    const error = expectCode(() => started().parse(mediaMessage(payload)), 'invalid_audio');
    expect(error.excerpt).toBeDefined();
    expect(error.excerpt!.length).toBeLessThanOrEqual(200);
    expect(error.excerpt).toContain('"event":"media"');
    expect(error.excerpt).toMatch(/<base64 \d+\+? chars>/);
    expect(error.excerpt).not.toContain('////////');
    expect(error.message).not.toContain('////////');
  });

  it('shows control characters in excerpts as ?', () => {
    const error = expectCode(() => new TwilioSerializer().parse('{"event":\u0000\n'), 'malformed_json');
    expect(error.excerpt).toBe('{"event":??');
  });
});
