import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import wavefile from 'wavefile';
import { TwilioSerializer } from '../src/twilio/serializer.ts';

const RATE_HZ = 8000;
const CHUNK_SAMPLES = 160; // 20 ms at 8 kHz

/** A speech-like test signal: two partials with a syllable-rate envelope, peak about -6 dBFS. */
function syntheticVoice(durationMs: number): Int16Array {
  const out = new Int16Array((RATE_HZ * durationMs) / 1000);
  for (let i = 0; i < out.length; i++) {
    const t = i / RATE_HZ;
    const envelope = 0.2 + 0.8 * Math.abs(Math.sin(2 * Math.PI * 3 * t));
    const wave = 0.6 * Math.sin(2 * Math.PI * 220 * t) + 0.4 * Math.sin(2 * Math.PI * 1330 * t);
    out[i] = Math.round(16000 * envelope * wave);
  }
  return out;
}

function readSpeech(): Int16Array {
  const wav = new wavefile.WaveFile(
    readFileSync(new URL('./fixtures/speech/goforward.wav', import.meta.url)),
  );
  const fmt = wav.fmt as { sampleRate: number; numChannels: number; bitsPerSample: number };
  expect(fmt).toMatchObject({ sampleRate: RATE_HZ, numChannels: 1, bitsPerSample: 16 });
  return wav.getSamples(false, Int16Array) as unknown as Int16Array;
}

/**
 * Sends `pcm` out through one serializer in 20 ms chunks and feeds each outbound payload back
 * in as an inbound `media` message to another, as Twilio would echo the caller's audio.
 */
function roundTrip(pcm: Int16Array): { decoded: Int16Array; payloadBytes: number[] } {
  const start = JSON.stringify({
    event: 'start',
    streamSid: 'MZ1',
    start: {
      streamSid: 'MZ1',
      accountSid: 'AC1',
      callSid: 'CA1',
      customParameters: {},
      mediaFormat: { encoding: 'audio/x-mulaw', sampleRate: 8000, channels: 1 },
    },
  });
  const outbound = new TwilioSerializer();
  const inbound = new TwilioSerializer();
  outbound.parse(start);
  inbound.parse(start);
  const usable = pcm.length - (pcm.length % CHUNK_SAMPLES);
  const decoded = new Int16Array(usable);
  const payloadBytes: number[] = [];
  for (let offset = 0; offset < usable; offset += CHUNK_SAMPLES) {
    const message = JSON.parse(
      outbound.encodeAudio(pcm.subarray(offset, offset + CHUNK_SAMPLES), RATE_HZ),
    ) as {
      media: { payload: string };
    };
    payloadBytes.push(Buffer.from(message.media.payload, 'base64').length);
    const event = inbound.parse(JSON.stringify({ event: 'media', streamSid: 'MZ1', media: message.media }));
    if (event.type !== 'media') throw new Error(`expected media, got ${event.type}`);
    decoded.set(event.audio, offset);
  }
  return { decoded, payloadBytes };
}

/** Signal-to-noise ratio of `decoded` against `reference`, dB. */
function snrDb(reference: Int16Array, decoded: Int16Array): number {
  let signal = 0;
  let noise = 0;
  for (let i = 0; i < decoded.length; i++) {
    const x = reference[i]!;
    const e = x - decoded[i]!;
    signal += x * x;
    noise += e * e;
  }
  return 10 * Math.log10(signal / noise);
}

describe('TwilioSerializer: audio round trip', () => {
  it('encodes a synthetic voice to 160-byte chunks and decodes it back with SNR > 30 dB', () => {
    const pcm = syntheticVoice(1000);
    const { decoded, payloadBytes } = roundTrip(pcm);
    expect(payloadBytes).toHaveLength(50);
    expect(payloadBytes.every((n) => n === 160)).toBe(true);
    expect(snrDb(pcm, decoded)).toBeGreaterThan(30);
  });

  it('round-trips real speech (goforward.wav, 8 kHz) with SNR > 30 dB', () => {
    const pcm = readSpeech();
    const { decoded, payloadBytes } = roundTrip(pcm);
    expect(payloadBytes.length).toBe(Math.floor(pcm.length / CHUNK_SAMPLES));
    expect(payloadBytes.every((n) => n === 160)).toBe(true);
    expect(snrDb(pcm, decoded)).toBeGreaterThan(30);
  });
});
