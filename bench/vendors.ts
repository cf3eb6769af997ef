/**
 * The vendor adapters that `vendor-cost.ts` measures, one entry per vendor: how to start its
 * loopback fake (in the fake process, `vendor-fake-process.ts`) and how to build its streaming
 * STT and TTS adapters against that fake (in the measured process). Adding a vendor is adding
 * one entry to {@link VENDORS}.
 */
import type { STTService, TTSService } from '@parley/pipeline';
import {
  CartesiaTTSService,
  DeepgramSTTService,
  DeepgramTTSService,
  ElevenLabsSTTService,
  ElevenLabsTTSService,
  OpenAISTTService,
  OpenAITTSService,
  SarvamSTTService,
  SarvamTTSService,
} from '@parley/services';
import {
  FakeCartesiaServer,
  FakeDeepgramServer,
  FakeElevenLabsServer,
  FakeOpenAIAudioServer,
  FakeSarvamServer,
} from '@parley/services/testing';

/** The API key every fake accepts. */
export const BENCH_KEY = 'bench-key';

/** One answer to a speech request, as the fakes can be told to stream it. */
export interface SpeechShape {
  /** Audio per answer, ms. */
  readonly audioMs: number;
  /** Audio per payload chunk (HTTP chunk or JSON line), ms. */
  readonly chunkMs: number;
  /** Pause between chunks, ms. */
  readonly chunkDelayMs: number;
  /** The rate the adapter asked for, Hz (its `sampleRateHz`). */
  readonly rateHz: number;
  /** Characters of the text sent (word timings are per character). */
  readonly textChars: number;
  /** The text sent (a fake that answers by transcript is scripted with it). */
  readonly text: string;
}

/** A running loopback fake, as the fake process drives it. */
export interface VendorFake {
  /** Base URL to give the adapters. */
  readonly url: string;
  /** The certificate (PEM) of a fake that speaks TLS, for the adapters to trust. */
  readonly ca?: string;
  /** Answer the next `count` speech requests with `shape`. */
  queueSpeech(count: number, shape: SpeechShape): void;
  /** Audio bytes received so far on all streaming STT connections (as decoded by the fake). */
  receivedBytes(): number;
  close(): Promise<void>;
}

/** A vendor: its fake, and its adapters against it. */
export interface VendorEntry {
  readonly name: string;
  /** Start the fake on 127.0.0.1 (called in the fake process). */
  startFake(): Promise<VendorFake>;
  /** The streaming STT adapter, if the vendor has one. */
  readonly stt?: {
    create(url: string, ca?: string): STTService;
    /** Audio bytes on the wire per second of caller audio at `rateHz` (to check nothing was lost). */
    wireBytesPerSecond(rateHz: number): number;
  };
  /** The TTS adapter, if the vendor has one. */
  readonly tts?: { create(url: string, ca?: string): TTSService };
}

/** Bytes of 16-bit PCM for `ms` at `rateHz`. */
const pcmBytes = (rateHz: number, ms: number) => Math.round((rateHz * ms) / 1000) * 2;

export const VENDORS: readonly VendorEntry[] = [
  {
    name: 'deepgram',
    async startFake() {
      const fake = await FakeDeepgramServer.start({ apiKey: BENCH_KEY });
      return {
        url: fake.url,
        queueSpeech: (count, s) =>
          fake.speak(
            ...Array.from({ length: count }, () => ({
              audioMs: s.audioMs,
              chunkBytes: pcmBytes(s.rateHz, s.chunkMs),
              chunkDelayMs: s.chunkDelayMs,
            })),
          ),
        receivedBytes: () => fake.connections.reduce((n, c) => n + c.audioBytes, 0),
        close: () => fake.close(),
      };
    },
    stt: {
      create: (url) => new DeepgramSTTService({ apiKey: BENCH_KEY, baseUrl: url }),
      wireBytesPerSecond: (rateHz) => rateHz * 2, // linear16 at the call's rate
    },
    tts: {
      create: (url) => new DeepgramTTSService({ apiKey: BENCH_KEY, baseUrl: url.replace(/^ws/, 'http') }),
    },
  },
  {
    name: 'elevenlabs',
    async startFake() {
      const fake = await FakeElevenLabsServer.start({ apiKey: BENCH_KEY });
      return {
        url: fake.url,
        queueSpeech: (count, s) =>
          fake.replyNext(
            ...Array.from({ length: count }, () => ({
              msPerChar: s.audioMs / s.textChars,
              chunks: Math.round(s.audioMs / s.chunkMs),
              chunkDelayMs: s.chunkDelayMs,
            })),
          ),
        receivedBytes: () => fake.sttConnections.reduce((n, c) => n + c.audioBytes, 0),
        close: () => fake.close(),
      };
    },
    stt: {
      create: (url) => new ElevenLabsSTTService({ apiKey: BENCH_KEY, baseUrl: url }),
      wireBytesPerSecond: (rateHz) => rateHz * 2, // pcm_<rate>: 8 and 16 kHz are taken as they are
    },
    tts: { create: (url) => new ElevenLabsTTSService({ apiKey: BENCH_KEY, baseUrl: url }) },
  },
  {
    name: 'openai',
    async startFake() {
      const fake = await FakeOpenAIAudioServer.start({ apiKey: BENCH_KEY });
      return {
        url: fake.url,
        queueSpeech: (count, s) =>
          fake.speak(
            ...Array.from({ length: count }, () => ({
              audioMs: s.audioMs,
              chunkBytes: pcmBytes(s.rateHz, s.chunkMs),
              chunkDelayMs: s.chunkDelayMs,
            })),
          ),
        receivedBytes: () => fake.connections.reduce((n, c) => n + c.audioBytes, 0),
        close: () => fake.close(),
      };
    },
    stt: {
      create: (url) => new OpenAISTTService({ apiKey: BENCH_KEY, baseUrl: url }),
      // µ-law at 8 kHz; otherwise PCM16 resampled to 24 kHz.
      wireBytesPerSecond: (rateHz) => (rateHz === 8000 ? 8000 : 48_000),
    },
    tts: { create: (url) => new OpenAITTSService({ apiKey: BENCH_KEY, baseUrl: url }) },
  },
  {
    name: 'cartesia',
    async startFake() {
      const fake = await FakeCartesiaServer.start({ apiKey: BENCH_KEY });
      return {
        url: fake.url,
        ca: fake.ca,
        queueSpeech: (count, s) => {
          fake.reply(s.text, ...Array.from({ length: count }, () => ({ durationMs: s.audioMs })));
        },
        receivedBytes: () => 0,
        close: () => fake.close(),
      };
    },
    tts: {
      create: (url, ca) => new CartesiaTTSService({ apiKey: BENCH_KEY, baseUrl: url, ...(ca ? { ca } : {}) }),
    },
  },
  {
    name: 'sarvam',
    async startFake() {
      const fake = await FakeSarvamServer.start({ apiKey: BENCH_KEY });
      return {
        url: fake.url,
        queueSpeech: (_count, s) => {
          fake.ttsMsPerChar = s.audioMs / s.textChars;
        },
        receivedBytes: () => fake.sttConnections.reduce((n, c) => n + c.audioBytes, 0),
        close: () => fake.close(),
      };
    },
    stt: {
      create: (url) => new SarvamSTTService({ apiKey: BENCH_KEY, baseUrl: url }),
      wireBytesPerSecond: (rateHz) => (rateHz === 8000 || rateHz === 16000 ? rateHz : 16000) * 2, // PCM16; others resampled to 16 kHz
    },
    tts: { create: (url) => new SarvamTTSService({ apiKey: BENCH_KEY, baseUrl: url }) },
  },
];
