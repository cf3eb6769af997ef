import { frame, ProcessorHarness } from '@parley/pipeline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { sarvamSTTVendor, sarvamTTSVendor, type VendorAccess } from '../src/index.ts';
import { FakeSarvamServer } from '../src/testing/index.ts';

describe('Sarvam vendor definitions', () => {
  let fake: FakeSarvamServer;
  let access: VendorAccess;

  beforeAll(async () => {
    fake = await FakeSarvamServer.start({ apiKey: 'test-key' });
    access = {
      apiKey: 'test-key',
      baseUrl: fake.url,
      fetch: undefined,
      language: 'ta-IN',
      responseTimeoutMs: 2000,
      name: 'stt:sarvam',
    };
  });
  afterAll(async () => {
    await fake.close();
  });

  it('fills the documented defaults and refuses out-of-range options', () => {
    expect(z.object(sarvamSTTVendor.options).parse({})).toEqual({ model: 'saaras:v3' });
    expect(z.object(sarvamTTSVendor.options).parse({})).toEqual({ model: 'bulbul:v2', voice: 'anushka' });
    expect(z.object(sarvamTTSVendor.options).safeParse({ pace: 5 }).success).toBe(false);
    expect(z.object(sarvamTTSVendor.options).safeParse({ voice: 'Anushka' }).success).toBe(false);
    expect(z.object(sarvamSTTVendor.options).safeParse({ mode: 'shout' }).success).toBe(false);
    expect(sarvamTTSVendor.key).toEqual({
      credentialKind: 'sarvam',
      variable: 'SARVAM_API_KEY',
      required: true,
    });
  });

  it('builds services that reach the base URL with the key and the agent language', async () => {
    const stt = new ProcessorHarness(
      sarvamSTTVendor.create(z.object(sarvamSTTVendor.options).parse({ mode: 'codemix' }), access),
    );
    const tts = new ProcessorHarness(
      sarvamTTSVendor.create(z.object(sarvamTTSVendor.options).parse({ voice: 'karun', pace: 1.1 }), access),
    );
    try {
      await stt.start();
      await tts.start();
      expect(fake.lastStt.query.get('language-code')).toBe('ta-IN');
      expect(fake.lastStt.query.get('mode')).toBe('codemix');
      await fake.until(() => fake.ttsConnections.at(-1)?.config !== undefined, 5000, 'the config');
      expect(fake.lastTts.config).toMatchObject({ language_code: 'ta-IN', speaker: 'karun', pace: 1.1 });
    } finally {
      for (const h of [stt, tts]) {
        h.send(frame('end', { reason: 'test over' }));
        await h.waitFor('end').catch(() => {});
        h.dispose();
      }
    }
  });
});
