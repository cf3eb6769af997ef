import {
  FakeAnthropicServer,
  FakeCartesiaServer,
  FakeDeepgramServer,
  FakeElevenLabsServer,
  FakeGeminiServer,
  FakeOpenAIServer,
  FakeSarvamServer,
} from '@parley/services/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  DEFAULT_CARTESIA_VOICE_ID,
  DEFAULT_ELEVENLABS_VOICE_ID,
  findVendor,
  type VendorCheckResult,
  type VendorKind,
} from '../src/index.ts';

const KEY = 'right-key';

/** Runs the check of vendor `provider` of `kind` with `options` against `baseUrl` (through `fetchFn`, if given). */
async function check(
  kind: VendorKind,
  provider: string,
  options: Record<string, unknown>,
  baseUrl: string,
  apiKey = KEY,
  fetchFn?: typeof fetch,
): Promise<VendorCheckResult> {
  const vendor = findVendor(kind, provider)!;
  const parsed = z.object(vendor.options).parse(options);
  return vendor.check(parsed, { apiKey, baseUrl, fetch: fetchFn, signal: AbortSignal.timeout(15_000) });
}

/** A loopback port nothing listens on. */
const CLOSED = 'http://127.0.0.1:1';

describe("checking a service's key and model against its vendor", () => {
  let openai: FakeOpenAIServer;
  let anthropic: FakeAnthropicServer;
  let gemini: FakeGeminiServer;
  let deepgram: FakeDeepgramServer;
  beforeAll(async () => {
    [openai, anthropic, gemini, deepgram] = await Promise.all([
      FakeOpenAIServer.start({ apiKey: KEY, models: ['gpt-4o-mini', 'gpt-4o-mini-tts', 'grok-4'] }),
      FakeAnthropicServer.start({ apiKey: KEY, models: ['claude-haiku-4-5'] }),
      FakeGeminiServer.start({ apiKey: KEY, models: ['gemini-2.5-flash'] }),
      FakeDeepgramServer.start({ apiKey: KEY }),
    ]);
  });
  afterAll(async () => {
    await Promise.all([openai?.close(), anthropic?.close(), gemini?.close(), deepgram?.close()]);
  });

  it('OpenAI: ok, a refused key, an unknown model, an unreachable server', async () => {
    expect(await check('llm', 'openai', { model: 'gpt-4o-mini' }, openai.url)).toMatchObject({
      ok: true,
      code: 'ok',
    });
    expect(await check('tts', 'openai', { model: 'gpt-4o-mini-tts' }, openai.url)).toMatchObject({
      ok: true,
    });
    const refused = await check('llm', 'openai', {}, openai.url, 'wrong-key');
    expect(refused).toEqual({
      ok: false,
      code: 'unauthorized',
      message: 'OpenAI refused the key (HTTP 401)',
    });
    expect(await check('llm', 'openai', { model: 'gpt-9' }, openai.url)).toEqual({
      ok: false,
      code: 'unknown_model',
      message: 'OpenAI has no model "gpt-9"',
    });
    const unreachable = await check('llm', 'openai', {}, CLOSED);
    expect(unreachable).toMatchObject({ ok: false, code: 'unreachable' });
    expect(unreachable.message).toMatch(/^OpenAI could not be reached: /);
    // The key is sent as the vendor expects, and never appears in a result.
    expect(openai.authorizations).toContain(`Bearer ${KEY}`);
    for (const r of [refused, unreachable]) expect(JSON.stringify(r)).not.toContain('key-');
  });

  it('xAI (over the OpenAI SDK): ok and an unknown model', async () => {
    expect(await check('llm', 'xai', { model: 'grok-4' }, openai.url)).toMatchObject({ ok: true });
    expect(await check('llm', 'xai', { model: 'grok-0' }, openai.url)).toMatchObject({
      ok: false,
      code: 'unknown_model',
      message: 'xAI has no model "grok-0"',
    });
  });

  it('Anthropic: ok, a refused key, an unknown model', async () => {
    expect(await check('llm', 'anthropic', { model: 'claude-haiku-4-5' }, anthropic.url)).toMatchObject({
      ok: true,
    });
    expect(
      await check('llm', 'anthropic', { model: 'claude-haiku-4-5' }, anthropic.url, 'nope'),
    ).toMatchObject({ ok: false, code: 'unauthorized' });
    expect(await check('llm', 'anthropic', { model: 'claude-0' }, anthropic.url)).toMatchObject({
      ok: false,
      code: 'unknown_model',
    });
  });

  it('Gemini: ok, a refused key, an unknown model', async () => {
    expect(await check('llm', 'google', { model: 'gemini-2.5-flash' }, gemini.url)).toMatchObject({
      ok: true,
    });
    expect(await check('llm', 'google', { model: 'gemini-2.5-flash' }, gemini.url, 'nope')).toMatchObject({
      ok: false,
      code: 'unauthorized',
    });
    expect(await check('llm', 'google', { model: 'gemini-0' }, gemini.url)).toMatchObject({
      ok: false,
      code: 'unknown_model',
    });
  });

  it('Deepgram: ok, a refused key, an unknown model of each kind', async () => {
    const url = deepgram.url.replace(/^ws/, 'http');
    expect(await check('stt', 'deepgram', { model: 'nova-3' }, url)).toMatchObject({ ok: true });
    expect(await check('tts', 'deepgram', { model: 'aura-2-thalia-en' }, url)).toMatchObject({ ok: true });
    expect(await check('stt', 'deepgram', {}, url, 'nope')).toMatchObject({
      ok: false,
      code: 'unauthorized',
    });
    expect(await check('tts', 'deepgram', { model: 'nova-3' }, url)).toEqual({
      ok: false,
      code: 'unknown_model',
      message: 'Deepgram has no TTS model "nova-3"',
    });
  });
});

describe("checking a voice service's key, voice and model against its vendor", () => {
  let elevenlabs: FakeElevenLabsServer;
  let cartesia: FakeCartesiaServer;
  let sarvam: FakeSarvamServer;
  beforeAll(async () => {
    [elevenlabs, cartesia, sarvam] = await Promise.all([
      FakeElevenLabsServer.start({ apiKey: KEY, voices: [DEFAULT_ELEVENLABS_VOICE_ID, 'voice-b'] }),
      FakeCartesiaServer.start({ apiKey: KEY, voiceIds: [DEFAULT_CARTESIA_VOICE_ID] }),
      FakeSarvamServer.start({ apiKey: KEY }),
    ]);
  });
  afterAll(async () => {
    await Promise.all([elevenlabs?.close(), cartesia?.close(), sarvam?.close()]);
  });

  it('ElevenLabs TTS: ok, a refused key, an unknown voice, an unknown model, an unreachable server', async () => {
    const url = elevenlabs.url;
    expect(await check('tts', 'elevenlabs', {}, url)).toEqual({
      ok: true,
      code: 'ok',
      message: `ElevenLabs accepted the key and has voice ${DEFAULT_ELEVENLABS_VOICE_ID} and model eleven_flash_v2_5`,
    });
    expect(elevenlabs.reads).toEqual([`/v1/voices/${DEFAULT_ELEVENLABS_VOICE_ID}`, '/v1/models']);
    expect(
      await check('tts', 'elevenlabs', { voice: 'voice-b', model: 'eleven_multilingual_v2' }, url),
    ).toMatchObject({ ok: true });
    const refused = await check('tts', 'elevenlabs', {}, url, 'wrong-key');
    expect(refused).toEqual({
      ok: false,
      code: 'unauthorized',
      message: 'ElevenLabs refused the key (HTTP 401)',
    });
    expect(await check('tts', 'elevenlabs', { voice: 'no-such-voice' }, url)).toEqual({
      ok: false,
      code: 'unknown_voice',
      message: 'ElevenLabs has no voice "no-such-voice" for this key',
    });
    expect(await check('tts', 'elevenlabs', { model: 'eleven_monolingual_v0' }, url)).toEqual({
      ok: false,
      code: 'unknown_model',
      message: 'ElevenLabs has no TTS model "eleven_monolingual_v0"',
    });
    const unreachable = await check('tts', 'elevenlabs', {}, CLOSED);
    expect(unreachable).toMatchObject({ ok: false, code: 'unreachable' });
    expect(unreachable.message).toMatch(/^ElevenLabs could not be reached: /);
    for (const r of [refused, unreachable]) expect(JSON.stringify(r)).not.toContain('-key');
  });

  it('ElevenLabs Scribe: the key only (the model list has no Scribe models)', async () => {
    expect(await check('stt', 'elevenlabs', {}, elevenlabs.url)).toEqual({
      ok: true,
      code: 'ok',
      message:
        'ElevenLabs accepted the key; it lists no Scribe models, so model scribe_v2_realtime is checked when a call starts',
    });
    expect(await check('stt', 'elevenlabs', {}, elevenlabs.url, 'wrong-key')).toMatchObject({
      ok: false,
      code: 'unauthorized',
    });
    expect(await check('stt', 'elevenlabs', {}, CLOSED)).toMatchObject({ ok: false, code: 'unreachable' });
  });

  it('ElevenLabs: a key that may not read voices is not refused, only not checked', async () => {
    const restricted = await FakeElevenLabsServer.start({ apiKey: KEY, missingPermissions: ['voices_read'] });
    try {
      const result = await check('tts', 'elevenlabs', { voice: 'voice-b' }, restricted.url);
      expect(result).toMatchObject({ ok: null, code: 'not_checked' });
      expect(result.message).toMatch(/^ElevenLabs accepted the key, but it may not read .*voices_read/);
      expect(result.message).toMatch(
        /voice voice-b and model eleven_flash_v2_5 will be checked when a call starts$/,
      );
    } finally {
      await restricted.close();
    }
  });

  it('Cartesia: ok, a refused key, an unknown voice, an unreachable server', async () => {
    const url = cartesia.url;
    const trusting = cartesia.fetch;
    expect(await check('tts', 'cartesia', {}, url, KEY, trusting)).toEqual({
      ok: true,
      code: 'ok',
      message: `Cartesia accepted the key and has voice ${DEFAULT_CARTESIA_VOICE_ID}`,
    });
    expect(cartesia.reads).toEqual([`/voices/${DEFAULT_CARTESIA_VOICE_ID}`]);
    const refused = await check('tts', 'cartesia', {}, url, 'wrong-key', trusting);
    expect(refused).toEqual({
      ok: false,
      code: 'unauthorized',
      message: 'Cartesia refused the key (HTTP 401)',
    });
    expect(await check('tts', 'cartesia', { voice: 'no-such-voice' }, url, KEY, trusting)).toEqual({
      ok: false,
      code: 'unknown_voice',
      message: 'Cartesia has no voice "no-such-voice" for this key',
    });
    // Without the fake's certificate, TLS fails: nothing answered.
    expect(await check('tts', 'cartesia', {}, url)).toMatchObject({ ok: false, code: 'unreachable' });
    const unreachable = await check('tts', 'cartesia', {}, CLOSED);
    expect(unreachable).toMatchObject({ ok: false, code: 'unreachable' });
    expect(unreachable.message).toMatch(/^Cartesia could not be reached: /);
    for (const r of [refused, unreachable]) expect(JSON.stringify(r)).not.toContain('-key');
  });

  it('Sarvam TTS: ok, a refused key, a speaker of another model, an unknown model, an unreachable server', async () => {
    const url = sarvam.url;
    expect(await check('tts', 'sarvam', {}, url)).toEqual({
      ok: true,
      code: 'ok',
      message: 'Sarvam accepted the key, and bulbul:v2 has speaker anushka',
    });
    expect(sarvam.reads).toEqual(['/text-to-speech/pronunciation-dictionary']);
    expect(await check('tts', 'sarvam', { model: 'bulbul:v3', voice: 'shubh' }, url)).toMatchObject({
      ok: true,
    });
    const refused = await check('tts', 'sarvam', {}, url, 'wrong-key');
    expect(refused).toEqual({
      ok: false,
      code: 'unauthorized',
      message: 'Sarvam refused the key (HTTP 403)',
    });
    // The speakers are a fixed list per model: no request is made for them.
    const reads = sarvam.reads.length;
    expect(await check('tts', 'sarvam', { model: 'bulbul:v2', voice: 'shubh' }, url)).toEqual({
      ok: false,
      code: 'unknown_voice',
      message:
        'Sarvam\'s bulbul:v2 has no speaker "shubh" (it has anushka, manisha, vidya, arya, abhilash, karun, hitesh)',
    });
    expect(await check('tts', 'sarvam', { model: 'bulbul:v9' }, url)).toEqual({
      ok: false,
      code: 'unknown_model',
      message: 'Sarvam has no TTS model "bulbul:v9" (it has bulbul:v2, bulbul:v3)',
    });
    expect(sarvam.reads.length).toBe(reads);
    const unreachable = await check('tts', 'sarvam', {}, CLOSED);
    expect(unreachable).toMatchObject({ ok: false, code: 'unreachable' });
    expect(unreachable.message).toMatch(/^Sarvam could not be reached: /);
    for (const r of [refused, unreachable]) expect(JSON.stringify(r)).not.toContain('-key');
  });

  it('Sarvam STT: ok, a refused key, an unknown model', async () => {
    expect(await check('stt', 'sarvam', {}, sarvam.url)).toEqual({
      ok: true,
      code: 'ok',
      message: 'Sarvam accepted the key, and it has model saaras:v3',
    });
    expect(await check('stt', 'sarvam', { model: 'saarika:v2.5' }, sarvam.url)).toMatchObject({ ok: true });
    expect(await check('stt', 'sarvam', {}, sarvam.url, 'wrong-key')).toMatchObject({
      ok: false,
      code: 'unauthorized',
    });
    expect(await check('stt', 'sarvam', { model: 'saaras:v9' }, sarvam.url)).toEqual({
      ok: false,
      code: 'unknown_model',
      message: 'Sarvam has no streaming STT model "saaras:v9" (it has saaras:v3, saaras:v4, saarika:v2.5)',
    });
  });
});
