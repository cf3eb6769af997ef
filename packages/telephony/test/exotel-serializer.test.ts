import { describe, expect, it } from 'vitest';
import { ProviderProtocolError, type ProviderProtocolErrorCode } from '../src/errors.ts';
import { exotelSampleRateFromQuery } from '../src/exotel/sample-rate.ts';
import { ExotelSerializer } from '../src/exotel/serializer.ts';
import type { ProviderEvent } from '../src/types.ts';
import { SEQUENCE_5_4, SEQUENCE_5_5, SEQUENCE_5_6 } from './fixtures/exotel-sequences.ts';
import { expandPayloadTokens, PCM16_SIL_100MS_8K, type SequenceStep } from './fixtures/sequence-steps.ts';

const SID_4 = 'a1b2c3d4e5f60718293a4b5c6d7e8f90';
const SID_6 = 'c3d4e5f60718293a4b5c6d7e8f90a1b2';
/** One outbound chunk at 8 kHz: 200 ms, 1600 samples, 3200 bytes. */
const CHUNK_8K = new Int16Array(1600);

/**
 * Feeds the `in` steps to the serializer and checks each `out` step is exactly what it encodes
 * (media from one chunk of silence of the step's payload size).
 */
function replay(serializer: ExotelSerializer, steps: SequenceStep[]): ProviderEvent[] {
  const events: ProviderEvent[] = [];
  for (const step of expandPayloadTokens(steps)) {
    if (step.dir === 'in') {
      events.push(serializer.parse(JSON.stringify(step.msg)));
    } else if (step.dir === 'out') {
      const expected = JSON.stringify(step.msg);
      switch (step.msg.event) {
        case 'media': {
          const payloadBytes = Buffer.from((step.msg.media as { payload: string }).payload, 'base64').length;
          expect(payloadBytes % 320).toBe(0);
          expect(serializer.encodeAudio(new Int16Array(payloadBytes / 2), 8000)).toBe(expected);
          break;
        }
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

function startMessage(start: Record<string, unknown> = {}, outer: Record<string, unknown> = {}): string {
  return JSON.stringify({
    event: 'start',
    sequence_number: '1',
    stream_sid: SID_4,
    start: {
      stream_sid: SID_4,
      call_sid: 'c0ffee00c0ffee00c0ffee00c0ffee00',
      account_sid: 'acmecorp1',
      custom_parameters: {},
      media_format: { encoding: 'audio/x-raw', sample_rate: '8000', bit_rate: '16' },
      ...start,
    },
    ...outer,
  });
}

function mediaMessage(payload: unknown, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({
    event: 'media',
    sequence_number: '2',
    stream_sid: SID_4,
    media: { chunk: '1', timestamp: '100', payload, ...extra },
  });
}

function started(start: Record<string, unknown> = {}): ExotelSerializer {
  const serializer = new ExotelSerializer();
  serializer.parse(startMessage(start));
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
  expect(error.provider).toBe('exotel');
  return error;
}

describe('ExotelSerializer: protocol sequences', () => {
  it('replays 5.4 (8 kHz PCM, greeting with mark, caller hangs up) into the expected events', () => {
    const silence = { type: 'media', audio: new Int16Array(1600), sampleRateHz: 8000 } as const;
    expect(replay(new ExotelSerializer(), SEQUENCE_5_4)).toEqual([
      { type: 'connected' },
      {
        type: 'start',
        streamId: SID_4,
        callId: 'c0ffee00c0ffee00c0ffee00c0ffee00',
        accountId: 'acmecorp1',
        customParameters: { agentId: 'support-bot' },
        mediaFormat: { encoding: 'pcm16', sampleRateHz: 8000, channels: 1 },
        from: '+919876543210',
        to: '+918047491899',
      },
      { ...silence, timestampMs: 100, sequence: 1 },
      { type: 'mark', name: 'greeting-1' },
      { ...silence, timestampMs: 200, sequence: 2 },
      { type: 'stop', reason: 'callended' },
    ]);
  });

  it('replays 5.5 (clear, DTMF; the bot closes the socket) into the expected events', () => {
    const serializer = new ExotelSerializer();
    const events = replay(serializer, SEQUENCE_5_5);
    expect(events.map((e) => e.type)).toEqual(['connected', 'start', 'media', 'dtmf']);
    expect(events[1]).toMatchObject({ streamId: 'b2c3d4e5f60718293a4b5c6d7e8f90a1', customParameters: {} });
    expect(events[3]).toEqual({ type: 'dtmf', digit: '5' });
    expect(serializer.encodeHangup()).toBeUndefined();
  });

  it('replays the camelCase variant 5.6 and answers in camelCase with chunk, timestamp and sequence', () => {
    let nowMs = 5000;
    const serializer = new ExotelSerializer({ now: () => nowMs });
    const steps = expandPayloadTokens(SEQUENCE_5_6);
    const events: ProviderEvent[] = [];
    for (const step of steps) {
      if (step.dir === 'in') events.push(serializer.parse(JSON.stringify(step.msg)));
      if (step.dir === 'out') {
        nowMs = 5120; // the example's media goes out 120 ms after start
        expect(serializer.encodeAudio(new Int16Array(1600), 8000)).toBe(JSON.stringify(step.msg));
      }
    }
    expect(serializer.camelCase).toBe(true);
    expect(events).toEqual([
      { type: 'connected' },
      {
        type: 'start',
        streamId: SID_6,
        callId: 'e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0e0',
        accountId: 'acmecorp1',
        customParameters: {},
        mediaFormat: { encoding: 'pcm16', sampleRateHz: 8000, channels: 1 },
        from: '+919876543210',
        to: '+918047491899',
      },
      { type: 'media', audio: new Int16Array(1600), sampleRateHz: 8000, timestampMs: 100, sequence: 1 },
      { type: 'stop' },
    ]);
    expect(serializer.encodeMark('m')).toBe(`{"event":"mark","streamSid":"${SID_6}","mark":{"name":"m"}}`);
    expect(serializer.encodeClear()).toBe(`{"event":"clear","streamSid":"${SID_6}"}`);
    const second = JSON.parse(serializer.encodeAudio(new Int16Array(1600), 8000)) as { media: object };
    expect(second.media).toMatchObject({ chunk: '2', sequenceNumber: '2', timestamp: '120' });
  });

  it('accepts camelCase keys everywhere: callSid, customParameters, mediaFormat.sampleRate as a number', () => {
    const serializer = new ExotelSerializer();
    const start = serializer.parse(
      JSON.stringify({
        event: 'start',
        sequenceNumber: 1,
        start: {
          streamSid: 'S1',
          callSid: 'C1',
          customParameters: { agentId: 'bot', attempt: 2 },
          mediaFormat: { encoding: 'audio/x-raw', sampleRate: 16000 },
        },
      }),
    );
    expect(start).toEqual({
      type: 'start',
      streamId: 'S1',
      callId: 'C1',
      customParameters: { agentId: 'bot', attempt: '2' },
      mediaFormat: { encoding: 'pcm16', sampleRateHz: 16000, channels: 1 },
    });
    expect(serializer.sampleRateHz).toBe(16000);
  });
});

describe('ExotelSerializer: audio', () => {
  it('decodes little-endian 16-bit PCM into a fresh array', () => {
    const bytes = Buffer.alloc(3200);
    bytes.writeInt16LE(1000, 0);
    bytes.writeInt16LE(-2, 2);
    bytes.writeInt16LE(-32768, 3198);
    const event = started().parse(mediaMessage(bytes.toString('base64')));
    if (event.type !== 'media') throw new Error('expected media');
    expect(event.audio.length).toBe(1600);
    expect([event.audio[0], event.audio[1], event.audio[1599]]).toEqual([1000, -2, -32768]);
    expect(event.audio.byteOffset).toBe(0);
    expect(event.audio.buffer.byteLength).toBe(3200); // its own buffer, not Node's pool
  });

  it('encodes PCM as little-endian bytes, round trip exact', () => {
    const pcm = new Int16Array(1600);
    for (let i = 0; i < pcm.length; i++) pcm[i] = ((i * 7919) % 65536) - 32768;
    const serializer = started();
    const message = JSON.parse(serializer.encodeAudio(pcm, 8000)) as { media: { payload: string } };
    const bytes = Buffer.from(message.media.payload, 'base64');
    expect(bytes.readInt16LE(2)).toBe(pcm[1]);
    const back = serializer.parse(mediaMessage(message.media.payload));
    expect(back).toMatchObject({ type: 'media', audio: pcm });
  });

  it('sends 3200-byte chunks at 8 kHz (200 ms) and 100 ms chunks at 16 and 24 kHz, multiples of 320 bytes', () => {
    expect(started().outputChunkMs).toBe(200);
    for (const [rate, chunkMs, chunkBytes] of [
      [8000, 200, 3200],
      [16000, 100, 3200],
      [24000, 100, 4800],
    ] as const) {
      const serializer = started({ media_format: { encoding: 'audio/x-raw', sample_rate: String(rate) } });
      expect(serializer.sampleRateHz).toBe(rate);
      expect(serializer.outputChunkMs).toBe(chunkMs);
      const samples = (rate * chunkMs) / 1000;
      const message = JSON.parse(serializer.encodeAudio(new Int16Array(samples), rate)) as {
        media: { payload: string };
      };
      const bytes = Buffer.from(message.media.payload, 'base64').length;
      expect(bytes).toBe(chunkBytes);
      expect(bytes % 320).toBe(0);
    }
  });

  it('refuses outbound chunks Exotel does not accept: not a multiple of 320 bytes, under 3200, over 100 KiB', () => {
    const serializer = started();
    expectCode(() => serializer.encodeAudio(new Int16Array(800), 8000), 'invalid_audio'); // 1600 bytes
    expectCode(() => serializer.encodeAudio(new Int16Array(1601), 8000), 'invalid_audio');
    expectCode(() => serializer.encodeAudio(new Int16Array(0), 8000), 'invalid_audio');
    expectCode(() => serializer.encodeAudio(new Int16Array(51200 + 160), 8000), 'invalid_audio');
    expect(() => serializer.encodeAudio(new Int16Array(51200), 8000)).not.toThrow(); // exactly 100 KiB
    expectCode(() => serializer.encodeAudio(CHUNK_8K, 16000), 'unsupported_sample_rate');
  });

  it('uses the rate asked for in the URL when start declares none', () => {
    expect(exotelSampleRateFromQuery('?sample-rate=24000&agentId=x')).toBe(24000);
    expect(exotelSampleRateFromQuery('sample_rate=16000')).toBe(16000);
    expect(exotelSampleRateFromQuery('sample-rate=44100')).toBeUndefined();
    expect(exotelSampleRateFromQuery('')).toBeUndefined();
    const serializer = new ExotelSerializer({ sampleRateHz: 16000 });
    expect(serializer.sampleRateHz).toBe(16000);
    const start = serializer.parse(
      JSON.stringify({ event: 'start', start: { streamSid: 'S', callSid: 'C' } }),
    );
    expect(start).toMatchObject({ mediaFormat: { encoding: 'pcm16', sampleRateHz: 16000 } });
    expect(serializer.outputChunkMs).toBe(100);
  });

  it('refuses media over 1 s at the stream rate, or of an odd number of bytes', () => {
    expect(started().parse(mediaMessage(Buffer.alloc(16000).toString('base64')))).toMatchObject({
      type: 'media',
    });
    expectCode(() => started().parse(mediaMessage(Buffer.alloc(16002).toString('base64'))), 'invalid_audio');
    expectCode(() => started().parse(mediaMessage(Buffer.alloc(3201).toString('base64'))), 'invalid_audio');
  });
});

describe('ExotelSerializer: refused messages', () => {
  it('refuses malformed JSON, non-objects and messages without an event', () => {
    expectCode(() => new ExotelSerializer().parse('{"event":"start",'), 'malformed_json');
    expectCode(() => new ExotelSerializer().parse('[1]'), 'invalid_message');
    expectCode(() => new ExotelSerializer().parse('{"stream_sid":"x"}'), 'invalid_message');
  });

  it('passes unknown events through as unknown', () => {
    expect(started().parse('{"event":"transcript","text":"hi"}')).toEqual({
      type: 'unknown',
      event: 'transcript',
    });
  });

  it.each([
    ['µ-law', { encoding: 'audio/x-mulaw', sample_rate: '8000' }],
    ['L16 declared as audio/L16', { encoding: 'audio/L16', sample_rate: '8000' }],
    ['an unsupported rate', { encoding: 'audio/x-raw', sample_rate: '44100' }],
  ])('refuses a start declaring %s as unsupported_encoding', (_what, media_format) => {
    const serializer = new ExotelSerializer();
    expectCode(() => serializer.parse(startMessage({ media_format })), 'unsupported_encoding');
    expect(serializer.streamSid).toBeUndefined();
  });

  it('accepts the older "base64" encoding name and a numeric sample rate', () => {
    const serializer = started({
      media_format: { encoding: 'base64', sample_rate: 8000, bit_rate: '128kbps' },
    });
    expect(serializer.sampleRateHz).toBe(8000);
  });

  it('refuses a start without a call or stream id, and one whose two stream ids differ', () => {
    expectCode(() => new ExotelSerializer().parse(startMessage({ call_sid: undefined })), 'invalid_message');
    expectCode(
      () => new ExotelSerializer().parse(startMessage({ stream_sid: undefined }, { stream_sid: undefined })),
      'invalid_message',
    );
    expectCode(
      () => new ExotelSerializer().parse(startMessage({}, { stream_sid: 'other' })),
      'stream_mismatch',
    );
  });

  it('refuses media before start, a second start, and messages for another stream', () => {
    expectCode(() => new ExotelSerializer().parse(mediaMessage(PCM16_SIL_100MS_8K)), 'media_before_start');
    const serializer = started();
    expectCode(() => serializer.parse(startMessage()), 'duplicate_start');
    expectCode(
      () =>
        serializer.parse(
          JSON.stringify({ event: 'media', stream_sid: 'other', media: { payload: PCM16_SIL_100MS_8K } }),
        ),
      'stream_mismatch',
    );
    expectCode(
      () => serializer.parse(JSON.stringify({ event: 'mark', streamSid: 'other', mark: { name: 'x' } })),
      'stream_mismatch',
    );
  });

  it.each([
    [
      'a character outside the alphabet',
      `${PCM16_SIL_100MS_8K.slice(0, 100)}!${PCM16_SIL_100MS_8K.slice(101)}`,
    ],
    ['a length that is not a multiple of 4', PCM16_SIL_100MS_8K.slice(0, 4267)],
    ['padding in the middle', `AA==${PCM16_SIL_100MS_8K.slice(4)}`],
    ['nothing', ''],
  ])('refuses a payload with %s as invalid_audio', (_what, payload) => {
    expectCode(() => started().parse(mediaMessage(payload)), 'invalid_audio');
  });

  it('refuses media with a payload or counters of the wrong type', () => {
    expectCode(() => started().parse(mediaMessage(42)), 'invalid_message');
    expectCode(
      () => started().parse(mediaMessage(PCM16_SIL_100MS_8K, { timestamp: 'soon' })),
      'invalid_message',
    );
    expectCode(() => started().parse(`{"event":"media","stream_sid":"${SID_4}"}`), 'invalid_message');
  });

  it('refuses a DTMF whose digit is not a key and a mark without a name', () => {
    expectCode(() => started().parse('{"event":"dtmf","dtmf":{"digit":"55"}}'), 'invalid_message');
    expectCode(() => started().parse('{"event":"mark","mark":{}}'), 'invalid_message');
  });

  it('refuses a message over 96 KiB before parsing it', () => {
    expectCode(() => started().parse(mediaMessage('A'.repeat(100_000))), 'message_too_large');
  });

  it('refuses to encode before start', () => {
    const fresh = new ExotelSerializer();
    expectCode(() => fresh.encodeAudio(CHUNK_8K, 8000), 'not_started');
    expectCode(() => fresh.encodeMark('m'), 'not_started');
    expectCode(() => fresh.encodeClear(), 'not_started');
  });

  it('refuses a constructor rate Exotel does not stream at', () => {
    expect(() => new ExotelSerializer({ sampleRateHz: 44100 as 8000 })).toThrow(TypeError);
  });
});
