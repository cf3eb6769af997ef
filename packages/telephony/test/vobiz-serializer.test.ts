import { describe, expect, it } from 'vitest';
import { ProviderProtocolError, type ProviderProtocolErrorCode } from '../src/errors.ts';
import type { ProviderEvent } from '../src/types.ts';
import { VobizSerializer } from '../src/vobiz/serializer.ts';
import { expandPayloadTokens, type SequenceStep, ULAW_SIL_20MS } from './fixtures/sequence-steps.ts';
import { SEQUENCE_5_7, SEQUENCE_5_8 } from './fixtures/vobiz-sequences.ts';

const CALL_7 = '5a9fd4a0-3d4c-11ef-bef9-0242ac110005';
const STREAM_7 = '20170ada-f610-433b-8758-c02a2aab3662';
const STREAM_8 = '31281beb-0721-544c-9869-d13b3bbc4773';
/** 20 ms at 8 kHz. */
const SILENCE_20MS = new Int16Array(160);

/** Feeds the `in` steps to the serializer and checks each `out` step is exactly what it encodes. */
function replay(serializer: VobizSerializer, steps: SequenceStep[]): ProviderEvent[] {
  const events: ProviderEvent[] = [];
  for (const step of expandPayloadTokens(steps)) {
    if (step.dir === 'in') {
      events.push(serializer.parse(JSON.stringify(step.msg)));
    } else if (step.dir === 'out') {
      const expected = JSON.stringify(step.msg);
      switch (step.msg.event) {
        case 'playAudio': {
          const payload = (step.msg.media as { payload: string }).payload;
          expect(Buffer.from(payload, 'base64').length).toBe(160); // 20 ms of µ-law
          expect(serializer.encodeAudio(SILENCE_20MS, 8000)).toBe(expected);
          break;
        }
        case 'checkpoint':
          expect(serializer.encodeMark(step.msg.name as string)).toBe(expected);
          break;
        case 'clearAudio':
          expect(serializer.encodeClear()).toBe(expected);
          break;
        case 'stop':
          expect(serializer.encodeHangup()).toBe(expected);
          break;
        default:
          throw new Error(`unexpected out step ${String(step.msg.event)}`);
      }
    }
  }
  return events;
}

function startMessage(
  mediaFormat: Record<string, unknown> = { encoding: 'audio/x-mulaw', sampleRate: 8000 },
  start: Record<string, unknown> = {},
  outer: Record<string, unknown> = {},
): string {
  return JSON.stringify({
    event: 'start',
    sequenceNumber: 1,
    start: {
      callId: CALL_7,
      streamId: STREAM_7,
      accountId: '100234',
      tracks: ['inbound'],
      mediaFormat,
      ...start,
    },
    ...outer,
  });
}

function mediaMessage(payload: unknown, extra: Record<string, unknown> = {}, streamId = STREAM_7): string {
  return JSON.stringify({
    event: 'media',
    sequenceNumber: 2,
    streamId,
    media: { track: 'inbound', timestamp: '1705312200020', chunk: 1, payload, ...extra },
  });
}

function started(mediaFormat?: Record<string, unknown>): VobizSerializer {
  const serializer = new VobizSerializer();
  serializer.parse(startMessage(mediaFormat));
  return serializer;
}

function expectCode(run: () => unknown, code: ProviderProtocolErrorCode): ProviderProtocolError {
  let caught: unknown;
  try {
    run();
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(ProviderProtocolError);
  const error = caught as ProviderProtocolError;
  expect(error.code).toBe(code);
  expect(error.provider).toBe('vobiz');
  return error;
}

describe('VobizSerializer: protocol sequences', () => {
  it('replays 5.7 (µ-law, greeting + checkpoint, caller hangs up) into the expected events', () => {
    const silence = { type: 'media', audio: SILENCE_20MS, sampleRateHz: 8000 } as const;
    expect(replay(new VobizSerializer(), SEQUENCE_5_7)).toEqual([
      {
        type: 'start',
        streamId: STREAM_7,
        callId: CALL_7,
        accountId: '100234',
        customParameters: { agentId: 'supportbot', tenant: 'acme' },
        mediaFormat: { encoding: 'mulaw', sampleRateHz: 8000, channels: 1 },
        tracks: ['inbound'],
      },
      { ...silence, sequence: 1 },
      { type: 'mark', name: 'greeting-1' },
      { ...silence, sequence: 2 },
    ]);
  });

  it('replays 5.8 (clearAudio → clearedAudio, farewell checkpoint, then our stop)', () => {
    const serializer = new VobizSerializer();
    const events = replay(serializer, SEQUENCE_5_8);
    expect(events.map((e) => e.type)).toEqual(['start', 'media', 'cleared', 'mark']);
    expect(events[0]).toMatchObject({
      streamId: STREAM_8,
      callId: '6b0ae5b1-3d4c-11ef-bef9-0242ac110005',
      customParameters: {},
    });
    expect(events[3]).toEqual({ type: 'mark', name: 'farewell' });
  });

  it('sends 20 ms chunks: 160 µ-law bytes at 8 kHz', () => {
    const serializer = started();
    expect(serializer.outputChunkMs).toBe(20);
    const message = JSON.parse(serializer.encodeAudio(SILENCE_20MS, 8000)) as { media: { payload: string } };
    expect(message.media.payload).toBe(ULAW_SIL_20MS);
  });

  it('reads extra_headers split on "," or ";", inside start too, skipping pieces without a name', () => {
    const params = (outer: Record<string, unknown>, start: Record<string, unknown> = {}) => {
      const event = new VobizSerializer().parse(startMessage(undefined, start, outer));
      return event.type === 'start' ? event.customParameters : undefined;
    };
    expect(params({ extra_headers: 'userId=12345;sessionId=abc' })).toEqual({
      userId: '12345',
      sessionId: 'abc',
    });
    expect(params({}, { extra_headers: 'a=1' })).toEqual({ a: '1' });
    expect(params({ extra_headers: 'a=1,,junk,=2,b=x=y' })).toEqual({ a: '1', b: 'x=y' });
    expect(params({ extra_headers: '{}' })).toEqual({});
    const proto = params({ extra_headers: '__proto__=x' });
    expect(Object.getPrototypeOf(proto)).toBe(Object.prototype);
    expect(Object.keys(proto ?? {})).toEqual(['__proto__']);
  });
});

describe('VobizSerializer: media before start', () => {
  it('decodes media that comes before start with the declared content type, never refusing it', () => {
    const serializer = new VobizSerializer({ contentType: 'audio/x-mulaw;rate=8000' });
    const early = serializer.parse(mediaMessage(ULAW_SIL_20MS));
    expect(early).toEqual({ type: 'media', audio: SILENCE_20MS, sampleRateHz: 8000, sequence: 1 });
    serializer.parse(startMessage());
    expect(serializer.parse(mediaMessage(ULAW_SIL_20MS))).toMatchObject({ type: 'media' });
  });

  it('decodes early L16 at the declared rate, big-endian', () => {
    const serializer = new VobizSerializer({ contentType: 'audio/x-l16;rate=16000' });
    expect(serializer.sampleRateHz).toBe(16000);
    const bytes = Buffer.alloc(640);
    bytes.writeInt16BE(1234, 0);
    const early = serializer.parse(mediaMessage(bytes.toString('base64')));
    expect(early).toMatchObject({ type: 'media', sampleRateHz: 16000 });
    if (early.type === 'media') expect([early.audio.length, early.audio[0]]).toEqual([320, 1234]);
  });

  it('still refuses early media that is not valid audio', () => {
    expectCode(() => new VobizSerializer().parse(mediaMessage('!!!!')), 'invalid_audio');
  });

  it('lets the format start announces win over the declared one', () => {
    const serializer = new VobizSerializer({ contentType: 'audio/x-mulaw;rate=8000' });
    serializer.parse(startMessage({ encoding: 'audio/x-l16', sampleRate: 8000 }));
    expect(serializer.sampleRateHz).toBe(8000);
    const message = JSON.parse(serializer.encodeAudio(SILENCE_20MS, 8000)) as {
      media: Record<string, unknown>;
    };
    expect(message.media).toMatchObject({ contentType: 'audio/x-l16', sampleRate: 8000 });
    expect(Buffer.from(message.media.payload as string, 'base64').length).toBe(320);
  });
});

describe('VobizSerializer: L16', () => {
  it('reads inbound L16 as big-endian and writes outbound L16 as little-endian', () => {
    const serializer = started({ encoding: 'audio/x-l16', sampleRate: 8000 });
    const pcm = new Int16Array(160);
    for (let i = 0; i < pcm.length; i++) pcm[i] = (i * 409 - 32000) | 0;
    pcm[1] = 0x0102;

    const inbound = Buffer.alloc(320);
    for (let i = 0; i < pcm.length; i++) inbound.writeInt16BE(pcm[i]!, i * 2);
    expect(inbound.subarray(2, 4)).toEqual(Buffer.from([0x01, 0x02]));
    const event = serializer.parse(mediaMessage(inbound.toString('base64')));
    expect(event).toMatchObject({ type: 'media', audio: pcm, sampleRateHz: 8000 });

    const out = JSON.parse(serializer.encodeAudio(pcm, 8000)) as {
      media: { contentType: string; payload: string };
    };
    expect(out.media.contentType).toBe('audio/x-l16');
    const outBytes = Buffer.from(out.media.payload, 'base64');
    expect(outBytes.length).toBe(320); // 20 ms of L16 at 8 kHz
    expect(outBytes.subarray(2, 4)).toEqual(Buffer.from([0x02, 0x01]));
    for (let i = 0; i < pcm.length; i++) expect(outBytes.readInt16LE(i * 2)).toBe(pcm[i]);
  });

  it('round-trips our outbound L16 when told inbound is little-endian too', () => {
    const serializer = new VobizSerializer({
      contentType: 'audio/x-l16;rate=24000',
      inboundL16ByteOrder: 'little-endian',
    });
    serializer.parse(startMessage({ encoding: 'audio/x-l16', sampleRate: 24000 }));
    const pcm = Int16Array.from({ length: 480 }, (_, i) => i * 100 - 24000);
    const out = JSON.parse(serializer.encodeAudio(pcm, 24000)) as {
      media: { sampleRate: number; payload: string };
    };
    expect(out.media.sampleRate).toBe(24000);
    expect(serializer.parse(mediaMessage(out.media.payload))).toMatchObject({
      audio: pcm,
      sampleRateHz: 24000,
    });
  });

  it('refuses L16 payloads of an odd number of bytes or over 1 s', () => {
    const serializer = started({ encoding: 'audio/x-l16', sampleRate: 8000 });
    expectCode(() => serializer.parse(mediaMessage(Buffer.alloc(321).toString('base64'))), 'invalid_audio');
    expect(serializer.parse(mediaMessage(Buffer.alloc(16000).toString('base64')))).toMatchObject({
      type: 'media',
    });
    expectCode(() => serializer.parse(mediaMessage(Buffer.alloc(16002).toString('base64'))), 'invalid_audio');
  });

  it('accepts the rate given inside the encoding and any case', () => {
    const serializer = started({ encoding: 'Audio/X-L16;rate=16000' });
    expect(serializer.sampleRateHz).toBe(16000);
  });
});

describe('VobizSerializer: reconnects and hangup', () => {
  it('accepts a fresh start for the same call and uses its new streamId', () => {
    const serializer = started();
    const again = serializer.parse(startMessage(undefined, { streamId: 'new-stream' }));
    expect(again).toMatchObject({ type: 'start', streamId: 'new-stream', callId: CALL_7 });
    expect(serializer.streamId).toBe('new-stream');
    expect(serializer.encodeClear()).toBe('{"event":"clearAudio","streamId":"new-stream"}');
    expect(serializer.encodeHangup()).toBe('{"event":"stop","streamId":"new-stream"}');
    expectCode(() => serializer.parse(mediaMessage(ULAW_SIL_20MS, {}, STREAM_7)), 'stream_mismatch');
    expect(serializer.parse(startMessage(undefined, { streamId: 'new-stream' }))).toMatchObject({
      type: 'start',
    });
  });

  it('refuses a start for another call, or one changing the format', () => {
    expectCode(() => started().parse(startMessage(undefined, { callId: 'other-call' })), 'duplicate_start');
    expectCode(
      () => started().parse(startMessage({ encoding: 'audio/x-l16', sampleRate: 8000 })),
      'unsupported_encoding',
    );
  });

  it('has no hangup message before start and a stop after', () => {
    expect(new VobizSerializer().encodeHangup()).toBeUndefined();
    expect(started().encodeHangup()).toBe(`{"event":"stop","streamId":"${STREAM_7}"}`);
  });

  it('treats an inbound stop and DTMF as harmless events', () => {
    const serializer = started();
    expect(
      serializer.parse(`{"event":"dtmf","streamId":"${STREAM_7}","dtmf":{"digit":"#","track":"inbound"}}`),
    ).toEqual({
      type: 'dtmf',
      digit: '#',
    });
    expect(serializer.parse('{"event":"stop"}')).toEqual({ type: 'stop' });
  });
});

describe('VobizSerializer: refused messages', () => {
  it('refuses malformed JSON, non-objects and messages without an event', () => {
    expectCode(() => new VobizSerializer().parse('{"event":'), 'malformed_json');
    expectCode(() => new VobizSerializer().parse('"start"'), 'invalid_message');
    expectCode(() => new VobizSerializer().parse('{"event":null}'), 'invalid_message');
  });

  it('passes unknown events through as unknown', () => {
    expect(started().parse('{"event":"connected"}')).toEqual({ type: 'unknown', event: 'connected' });
  });

  it.each([
    ['G.722', { encoding: 'audio/g722', sampleRate: 16000 }],
    ['µ-law at 16 kHz', { encoding: 'audio/x-mulaw', sampleRate: 16000 }],
    ['L16 at 44.1 kHz', { encoding: 'audio/x-l16', sampleRate: 44100 }],
    ['L16 without a rate', { encoding: 'audio/x-l16' }],
  ])('refuses a start declaring %s as unsupported_encoding', (_what, mediaFormat) => {
    const serializer = new VobizSerializer();
    expectCode(() => serializer.parse(startMessage(mediaFormat)), 'unsupported_encoding');
    expect(serializer.streamId).toBeUndefined();
  });

  it('refuses a start with ids at the top level only (they are nested on start)', () => {
    expectCode(
      () =>
        new VobizSerializer().parse(
          JSON.stringify({ event: 'start', callId: CALL_7, streamId: STREAM_7, start: { mediaFormat: {} } }),
        ),
      'invalid_message',
    );
  });

  it.each([
    ['a character outside the alphabet', `${ULAW_SIL_20MS.slice(0, 100)}!${ULAW_SIL_20MS.slice(101)}`],
    ['a length that is not a multiple of 4', ULAW_SIL_20MS.slice(0, 215)],
    ['nothing', ''],
    ['over 1 s of µ-law', Buffer.alloc(8001, 0xff).toString('base64')],
  ])('refuses a payload with %s as invalid_audio', (_what, payload) => {
    expectCode(() => started().parse(mediaMessage(payload)), 'invalid_audio');
  });

  it('refuses media with fields of the wrong type', () => {
    expectCode(() => started().parse(mediaMessage(7)), 'invalid_message');
    expectCode(() => started().parse(mediaMessage(ULAW_SIL_20MS, { chunk: 'one' })), 'invalid_message');
    expectCode(() => started().parse(mediaMessage(ULAW_SIL_20MS, { track: 1 })), 'invalid_message');
  });

  it('refuses a playedStream without a name and a clearedAudio for another stream', () => {
    expectCode(() => started().parse('{"event":"playedStream"}'), 'invalid_message');
    expectCode(() => started().parse('{"event":"clearedAudio","streamId":"other"}'), 'stream_mismatch');
  });

  it('refuses a message over 96 KiB before parsing it', () => {
    expectCode(() => started().parse(mediaMessage('A'.repeat(100_000))), 'message_too_large');
  });

  it('refuses to encode before start, at another rate, or an empty chunk', () => {
    const fresh = new VobizSerializer();
    expectCode(() => fresh.encodeAudio(SILENCE_20MS, 8000), 'not_started');
    expectCode(() => fresh.encodeMark('m'), 'not_started');
    expectCode(() => fresh.encodeClear(), 'not_started');
    expectCode(() => started().encodeAudio(new Int16Array(320), 16000), 'unsupported_sample_rate');
    expectCode(() => started().encodeAudio(new Int16Array(0), 8000), 'invalid_audio');
  });

  it('refuses a constructor content type Vobiz does not stream', () => {
    expect(
      () => new VobizSerializer({ contentType: 'audio/x-mulaw;rate=16000' as 'audio/x-mulaw;rate=8000' }),
    ).toThrow(TypeError);
  });
});
