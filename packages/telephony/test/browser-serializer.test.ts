import { describe, expect, it } from 'vitest';
import { BrowserSerializer } from '../src/browser/serializer.ts';
import { ProviderProtocolError, type ProviderProtocolErrorCode } from '../src/errors.ts';

/** Little-endian bytes of `samples`, at `offset` in a larger buffer (so views are unaligned). */
function pcmBytes(samples: number[], offset = 0): Uint8Array {
  const buffer = new Uint8Array(offset + samples.length * 2);
  const view = new DataView(buffer.buffer);
  for (const [i, s] of samples.entries()) view.setInt16(offset + 2 * i, s, true);
  return buffer.subarray(offset);
}

function started(): BrowserSerializer {
  const serializer = new BrowserSerializer();
  serializer.parse('{"event":"start"}');
  return serializer;
}

function protocolErrorOf(fn: () => unknown): ProviderProtocolError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(ProviderProtocolError);
    return e as ProviderProtocolError;
  }
  throw new Error('expected a ProviderProtocolError');
}

function expectCode(fn: () => unknown, code: ProviderProtocolErrorCode): ProviderProtocolError {
  const error = protocolErrorOf(fn);
  expect(error.code).toBe(code);
  expect(error.provider).toBe('browser');
  return error;
}

describe('BrowserSerializer', () => {
  it('starts a 16 kHz 16-bit mono stream with a stream id of its own', () => {
    const serializer = new BrowserSerializer();
    const event = serializer.parse('{"event":"start"}');
    expect(event).toMatchObject({
      type: 'start',
      mediaFormat: { encoding: 'pcm16', sampleRateHz: 16000, channels: 1 },
    });
    expect(event.type === 'start' && event.streamId).toMatch(/^browser-[0-9a-f-]{36}$/);
    expect(serializer.streamId).toBe(event.type === 'start' ? event.streamId : undefined);
  });

  it('reads binary frames as little-endian samples, also from an unaligned view, with stream times', () => {
    const serializer = started();
    const first = serializer.parseBinary(pcmBytes([1, -2, 32767, -32768], 1));
    expect(first).toMatchObject({ type: 'media', sampleRateHz: 16000, timestampMs: 0 });
    expect(first.type === 'media' && [...first.audio]).toEqual([1, -2, 32767, -32768]);
    serializer.parseBinary(pcmBytes(new Array(316).fill(0)));
    // 320 samples (20 ms) came before the third frame.
    expect(serializer.parseBinary(pcmBytes([5]))).toMatchObject({ type: 'media', timestampMs: 20 });
  });

  it('refuses an odd byte count, an empty frame and one over a second, and goes on after them', () => {
    const serializer = started();
    const odd = expectCode(() => serializer.parseBinary(new Uint8Array(641)), 'invalid_audio');
    expect(odd.message).toContain('odd number of bytes (641)');
    expectCode(() => serializer.parseBinary(new Uint8Array(0)), 'invalid_audio');
    expectCode(() => serializer.parseBinary(new Uint8Array(32002)), 'invalid_audio');
    expect(serializer.parseBinary(pcmBytes([7, 8])).type).toBe('media');
  });

  it('refuses audio before start', () => {
    expectCode(() => new BrowserSerializer().parseBinary(pcmBytes([1, 2])), 'media_before_start');
  });

  it('reads mark echoes and stop, and names unknown events', () => {
    const serializer = started();
    expect(serializer.parse('{"event":"mark","name":"m1"}')).toEqual({ type: 'mark', name: 'm1' });
    expect(serializer.parse('{"event":"stop"}')).toEqual({ type: 'stop' });
    expect(serializer.parse('{"event":"dance"}')).toEqual({ type: 'unknown', event: 'dance' });
  });

  it('refuses bad JSON with a clear error that quotes no more than an excerpt', () => {
    const serializer = started();
    const error = expectCode(() => serializer.parse('{"event":"start"'), 'malformed_json');
    expect(error.message).toBe('Browser test call: message is not JSON');
    expectCode(() => serializer.parse('[1,2]'), 'invalid_message');
    expectCode(() => serializer.parse('{"name":"x"}'), 'invalid_message');
    expectCode(() => serializer.parse('{"event":"mark"}'), 'invalid_message');
    expectCode(() => serializer.parse(`{"event":"mark","name":"${'x'.repeat(5000)}"}`), 'message_too_large');
    expectCode(() => serializer.parse('{"event":"start"}'), 'duplicate_start');
    // Still usable after every refusal.
    expect(serializer.parse('{"event":"stop"}')).toEqual({ type: 'stop' });
  });

  it('encodes bot audio as little-endian 16 kHz PCM and refuses other rates and empty chunks', () => {
    const serializer = started();
    const bytes = serializer.encodeAudio(Int16Array.from([1, -1, 256]), 16000);
    expect([...bytes]).toEqual([1, 0, 255, 255, 0, 1]);
    expectCode(() => serializer.encodeAudio(new Int16Array(160), 8000), 'unsupported_sample_rate');
    expectCode(() => serializer.encodeAudio(new Int16Array(0), 16000), 'invalid_audio');
  });

  it('encodes marks, clears, transcript lines and errors as JSON control messages', () => {
    const serializer = started();
    expect(JSON.parse(serializer.encodeMark('m7'))).toEqual({ event: 'mark', name: 'm7' });
    expect(JSON.parse(serializer.encodeClear())).toEqual({ event: 'clear' });
    expect(JSON.parse(serializer.encodeTranscript({ role: 'user', text: 'hello', final: false }))).toEqual({
      event: 'transcript',
      role: 'user',
      text: 'hello',
      final: false,
    });
    expect(JSON.parse(serializer.encodeError('malformed_json', 'message is not JSON'))).toEqual({
      event: 'error',
      code: 'malformed_json',
      message: 'message is not JSON',
    });
  });

  it('sends nothing before start', () => {
    const serializer = new BrowserSerializer();
    expectCode(() => serializer.encodeAudio(new Int16Array(320), 16000), 'not_started');
    expectCode(() => serializer.encodeMark('m'), 'not_started');
    expectCode(() => serializer.encodeClear(), 'not_started');
  });
});
