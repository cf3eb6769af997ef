import {
  FakeAnthropicServer,
  FakeDeepgramServer,
  FakeGeminiServer,
  FakeOpenAIServer,
} from '@parley/services/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { findVendor, type VendorCheckResult, type VendorKind } from '../src/index.ts';

const KEY = 'right-key';

/** Runs the check of vendor `provider` of `kind` with `options` against `baseUrl`. */
async function check(
  kind: VendorKind,
  provider: string,
  options: Record<string, unknown>,
  baseUrl: string,
  apiKey = KEY,
): Promise<VendorCheckResult> {
  const vendor = findVendor(kind, provider)!;
  const parsed = z.object(vendor.options).parse(options);
  return vendor.check(parsed, { apiKey, baseUrl, fetch: undefined, signal: AbortSignal.timeout(15_000) });
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

  it('says when a vendor offers nothing to check with', async () => {
    expect(await check('tts', 'sarvam', {}, CLOSED)).toMatchObject({ ok: null, code: 'not_checked' });
  });
});
