/**
 * A Parley test server whose calls run on vendor services through the production service
 * factory (`defaultServiceFactory`, the vendor registry), with every vendor a loopback fake of
 * `@parley/services/testing`: Deepgram STT, an LLM (Claude or Gemini) and a TTS (ElevenLabs or
 * Cartesia). The server reaches them through `<VENDOR>_API_KEY` / `<VENDOR>_BASE_URL`, as in
 * production, and trusts the TLS certificate of a fake that serves one through `VENDOR_CA_FILE`.
 *
 * Adding a vendor of a kind is one adapter in {@link LLM_FAKES} or {@link TTS_FAKES}.
 */
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { preloadVendorSdks } from '@parley/services';
import {
  type FakeAnthropicMessage,
  FakeAnthropicServer,
  type FakeCartesiaConnection,
  FakeCartesiaServer,
  FakeDeepgramServer,
  FakeElevenLabsServer,
  FakeGeminiServer,
} from '@parley/services/testing';
import { afterAll, beforeAll } from 'vitest';
import { fixedEngines } from '../../src/calls/engines.ts';
import { defaultServiceFactory } from '../../src/calls/services.ts';
import type { AgentConfigInput } from '../../src/config/agent-config.ts';
import { SPEECH_8K } from './fakes.ts';
import { startTestServer, type TestServer } from './server.ts';

/** The API key every fake requires and the server sends (from its environment). */
export const VENDOR_TEST_KEY = 'test-vendor-key';

/** One message of an LLM request as the fake received it, in the pipeline's roles. */
export interface LLMTurn {
  readonly role: 'user' | 'assistant';
  /** The message's text parts, joined. */
  readonly text: string;
}

/** A fake LLM vendor, seen the same way whatever its wire protocol. */
export interface LLMFake {
  /** The agent's `llm.provider`. */
  readonly provider: string;
  /** The server's environment for it (key and base URL). */
  readonly env: Record<string, string>;
  /** Queue the text of the next reply (streamed word by word). */
  reply(text: string): void;
  /** Queue `count` answers of HTTP `status` (an outage; the SDK's retries included). */
  fail(status: number, count: number): void;
  /** Requests received so far. */
  readonly requestCount: number;
  /** The user and assistant messages of request `index` (0-based), the system prompt left out. */
  turns(index: number): LLMTurn[];
  /** Key each request carried, oldest first. */
  readonly apiKeys: (string | undefined)[];
  close(): Promise<void>;
}

/** What a fake TTS vendor received in one request. */
export interface TTSRequestSeen {
  readonly text: string;
  /**
   * The audio format asked for, in the vendor's own terms: ElevenLabs' `output_format`,
   * Cartesia's `output_format` as `<encoding>_<sample_rate>`.
   */
  readonly format: string;
  readonly apiKey: string | undefined;
  /** The voice asked for. */
  readonly voice: string;
}

/** A fake TTS vendor that returns word timings (alignment) with its audio. */
export interface TTSFake {
  /** The agent's `tts` (provider and voice). */
  readonly config: AgentConfigInput['tts'];
  readonly env: Record<string, string>;
  /** The format the service must ask for on a call at `rateHz` (e.g. `pcm_8000`). */
  expectedFormat(rateHz: number): string;
  /** How long the fake's audio for `text` is, ms. */
  audioMs(text: string): number;
  /** Requests received so far, oldest first. */
  requests(): TTSRequestSeen[];
  close(): Promise<void>;
}

/** The text of Anthropic content: a string, or its `text` blocks joined. */
function anthropicText(content: FakeAnthropicMessage['content']): string {
  return typeof content === 'string'
    ? content
    : content.map((b) => (b.type === 'text' ? (b.text ?? '') : '')).join('');
}

/** Claude through `FakeAnthropicServer`. */
async function anthropicFake(): Promise<LLMFake> {
  const fake = await FakeAnthropicServer.start({ apiKey: VENDOR_TEST_KEY });
  return {
    provider: 'anthropic',
    env: { ANTHROPIC_API_KEY: VENDOR_TEST_KEY, ANTHROPIC_BASE_URL: fake.url },
    reply: (text) => fake.reply({ text }),
    fail: (status, count) => {
      for (let i = 0; i < count; i++) fake.reply({ error: status });
    },
    get requestCount() {
      return fake.requests.length;
    },
    turns: (i) =>
      (fake.requests[i]?.messages ?? []).map((m) => ({
        role: m.role === 'assistant' ? 'assistant' : 'user',
        text: anthropicText(m.content),
      })),
    get apiKeys() {
      // SDK 1.x sends the key as `Authorization: Bearer`, older ones as `x-api-key`.
      return fake.credentials.map((c) => c.apiKey ?? c.authorization?.replace(/^Bearer /, ''));
    },
    close: () => fake.close(),
  };
}

/** Gemini through `FakeGeminiServer`. */
async function geminiFake(): Promise<LLMFake> {
  const fake = await FakeGeminiServer.start({ apiKey: VENDOR_TEST_KEY });
  return {
    provider: 'google',
    env: { GEMINI_API_KEY: VENDOR_TEST_KEY, GEMINI_BASE_URL: fake.url },
    reply: (text) => fake.reply({ text }),
    fail: (status, count) => {
      for (let i = 0; i < count; i++) fake.reply({ error: status });
    },
    get requestCount() {
      return fake.requests.length;
    },
    turns: (i) =>
      (fake.requests[i]?.body.contents ?? []).map((c) => ({
        role: c.role === 'model' ? 'assistant' : 'user',
        text: (c.parts ?? []).map((p) => p.text ?? '').join(''),
      })),
    get apiKeys() {
      return fake.requests.map((r) => r.apiKey);
    },
    close: () => fake.close(),
  };
}

/** The ElevenLabs fake's default pace: each character lasts this long, ms. */
const ELEVENLABS_MS_PER_CHAR = 20;

/** ElevenLabs through `FakeElevenLabsServer` (its default replies: a tone with character alignment). */
async function elevenLabsFake(): Promise<TTSFake> {
  const voice = 'fake-voice-e2e';
  const fake = await FakeElevenLabsServer.start({ apiKey: VENDOR_TEST_KEY, voices: [voice] });
  return {
    config: { provider: 'elevenlabs', voice },
    env: { ELEVENLABS_API_KEY: VENDOR_TEST_KEY, ELEVENLABS_BASE_URL: fake.url },
    expectedFormat: (rateHz) => `pcm_${rateHz}`,
    audioMs: (text) => Array.from(text).length * ELEVENLABS_MS_PER_CHAR,
    requests: () =>
      fake.ttsRequests.map((r) => ({
        text: String(r.body.text ?? ''),
        format: r.query.get('output_format') ?? '',
        apiKey: r.apiKey,
        voice: r.voiceId,
      })),
    close: () => fake.close(),
  };
}

/** The Cartesia fake's default pace: each word lasts this long, ms (its word timestamps split it evenly). */
const CARTESIA_MS_PER_WORD = 80;

/** The key a Cartesia handshake carried (`Authorization: Bearer` from the SDK, or `X-API-Key`). */
function cartesiaKey(headers: FakeCartesiaConnection['headers']): string | undefined {
  const auth = headers.authorization;
  if (auth?.startsWith('Bearer ')) return auth.slice('Bearer '.length);
  const key = headers['x-api-key'];
  return Array.isArray(key) ? key[0] : key;
}

/**
 * Cartesia through `FakeCartesiaServer` (its default replies: a tone with word timestamps). It
 * serves TLS with a self-signed certificate: the server trusts it through `VENDOR_CA_FILE`, a
 * file in a temporary directory removed on close.
 */
async function cartesiaFake(): Promise<TTSFake> {
  const voice = 'fake-voice-e2e';
  const fake = await FakeCartesiaServer.start({ apiKey: VENDOR_TEST_KEY, voiceIds: [voice] });
  const dir = await mkdtemp(path.join(tmpdir(), 'parley-vendor-ca-'));
  const caFile = path.join(dir, 'cartesia-fake.pem');
  await writeFile(caFile, fake.ca);
  return {
    config: { provider: 'cartesia', voice },
    env: { CARTESIA_API_KEY: VENDOR_TEST_KEY, CARTESIA_BASE_URL: fake.url, VENDOR_CA_FILE: caFile },
    expectedFormat: (rateHz) => `pcm_s16le_${rateHz}`,
    audioMs: (text) => text.trim().split(/\s+/).length * CARTESIA_MS_PER_WORD,
    // One per sentence: a response's flushes and its closing input carry no transcript.
    requests: () =>
      fake.connections.flatMap((c) =>
        c.requests
          .filter((r) => r.transcript.trim() !== '')
          .map((r) => ({
            text: r.transcript.trim(),
            format: `${r.output_format?.encoding}_${r.output_format?.sample_rate}`,
            apiKey: cartesiaKey(c.headers),
            voice: typeof r.voice === 'string' ? r.voice : (r.voice?.id ?? ''),
          })),
      ),
    close: async () => {
      await fake.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** LLM vendors the tests can use, by the agent's `llm.provider`. */
export const LLM_FAKES = { anthropic: anthropicFake, google: geminiFake } as const;
/** TTS vendors the tests can use, by the agent's `tts.provider`. */
export const TTS_FAKES = { elevenlabs: elevenLabsFake, cartesia: cartesiaFake } as const;

export type LLMVendor = keyof typeof LLM_FAKES;
export type TTSVendor = keyof typeof TTS_FAKES;

/** A server on vendor services and the fakes behind them. */
export interface VendorServer {
  readonly server: TestServer;
  readonly deepgram: FakeDeepgramServer;
  readonly llm: LLMFake;
  readonly tts: TTSFake;
  /** The agent's `failover.llm[0]`, when asked for. */
  readonly failoverLlm: LLMFake | undefined;
}

/** Id of the agent stored by {@link useVendorServer}. */
export const VENDOR_AGENT = 'vendors';

/** What the agent says first. */
export const VENDOR_GREETING = 'Hello, how can I help?';

/**
 * Starts the fakes and a server on them before the calling `describe` block's tests (agent
 * {@link VENDOR_AGENT}: Deepgram STT, `llm`, `tts`, language `en-US`, a short greeting), and
 * closes them after.
 * @returns The server and fakes; reading them before `beforeAll` ran throws.
 */
export function useVendorServer(llm: LLMVendor, tts: TTSVendor, failoverLlm?: LLMVendor): VendorServer {
  let started: VendorServer | undefined;
  const get = (): VendorServer => {
    if (started === undefined) throw new Error('the vendor server is not started');
    return started;
  };
  const closers: (() => Promise<void>)[] = [];
  beforeAll(async () => {
    // As the server's start does: a call must not wait for an SDK import (over 15 s on a loaded machine).
    await preloadVendorSdks();
    const deepgram = await FakeDeepgramServer.start({ apiKey: VENDOR_TEST_KEY });
    closers.push(() => deepgram.close());
    const llmFake = await LLM_FAKES[llm]();
    closers.push(() => llmFake.close());
    const ttsFake = await TTS_FAKES[tts]();
    closers.push(() => ttsFake.close());
    const backupFake = failoverLlm === undefined ? undefined : await LLM_FAKES[failoverLlm]();
    if (backupFake) closers.push(() => backupFake.close());
    const env = {
      DEEPGRAM_API_KEY: VENDOR_TEST_KEY,
      // The server takes http(s) base URLs; the Deepgram vendor speaks WebSocket to its ws: form.
      DEEPGRAM_BASE_URL: deepgram.url.replace(/^ws:/, 'http:'),
      ...llmFake.env,
      ...ttsFake.env,
      ...backupFake?.env,
    };
    // The local engines are never used here: every service is a vendor's.
    const engines = fixedEngines({
      stt: { ok: false, reason: 'unused' },
      tts: { ok: false, reason: 'unused' },
    });
    const server = await startTestServer(
      (config, credentials) => defaultServiceFactory(config, engines, credentials),
      env,
    );
    closers.unshift(() => server.close()); // calls end before their vendors go
    await server.parley.agents.upsert({
      id: VENDOR_AGENT,
      name: VENDOR_AGENT,
      config: {
        prompt: 'You are a test agent.',
        greeting: VENDOR_GREETING,
        language: 'en-US',
        stt: { provider: 'deepgram' },
        llm: { provider: llmFake.provider },
        tts: ttsFake.config,
        ...(backupFake ? { failover: { llm: [{ provider: backupFake.provider }] } } : {}),
      },
    });
    started = { server, deepgram, llm: llmFake, tts: ttsFake, failoverLlm: backupFake };
  }, 60_000);
  afterAll(async () => {
    for (const close of closers.splice(0)) await close();
  });
  return {
    get server() {
      return get().server;
    },
    get deepgram() {
      return get().deepgram;
    },
    get llm() {
      return get().llm;
    },
    get tts() {
      return get().tts;
    },
    get failoverLlm() {
      return get().failoverLlm;
    },
  };
}

/** The transcript of a clip of {@link SPEECH_8K} (`transcripts.tsv`: lower case, no punctuation). */
export function clipTranscript(clip: string): string {
  const tsv = readFileSync(path.join(SPEECH_8K, '..', 'transcripts.tsv'), 'utf8');
  const row = tsv.split('\n').find((line) => line.startsWith(`${clip}\t`));
  if (!row) throw new Error(`no transcript for clip ${clip}`);
  return row.split('\t')[1]!;
}

/** Where speech starts and ends in a clip of {@link SPEECH_8K}, s (`alignment.json`, ±30 ms). */
function clipSpeech(clip: string): { startSecs: number; endSecs: number } {
  const alignment = JSON.parse(readFileSync(path.join(SPEECH_8K, '..', 'alignment.json'), 'utf8')) as Record<
    string,
    { speech_start_s: number; speech_end_s: number }
  >;
  const a = alignment[clip];
  if (!a) throw new Error(`no alignment for clip ${clip}`);
  return { startSecs: a.speech_start_s, endSecs: a.speech_end_s };
}

/**
 * Scripts Deepgram to recognise `clip` as it arrives on the open connection, from now on, as
 * Deepgram does while a caller speaks: an interim result with the first half of its words once
 * the middle of its speech came, one with all of them 0.1 s before its speech ends (margin for
 * the VAD, which may call trailing soft speech silence); the pipeline's `Finalize`, when its
 * VAD heard 0.2 s of silence, makes that one final.
 * @param rateHz - The call's rate: Deepgram receives 16-bit PCM at it.
 * @returns The transcript scripted.
 */
export function scriptClip(deepgram: FakeDeepgramServer, clip: string, rateHz: number): string {
  const transcript = clipTranscript(clip);
  const words = transcript.split(' ');
  const { startSecs, endSecs } = clipSpeech(clip);
  const base = deepgram.last.audioBytes;
  const bytesAt = (secs: number) => base + Math.round(secs * rateHz * 2); // linear16
  deepgram.script(
    {
      transcript: words.slice(0, Math.ceil(words.length / 2)).join(' '),
      afterBytes: bytesAt((startSecs + endSecs) / 2),
    },
    { transcript, afterBytes: bytesAt(Math.max((startSecs + endSecs) / 2, endSecs - 0.1)) },
  );
  return transcript;
}
