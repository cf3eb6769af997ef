import { VENDORS } from '@parley/services';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { VendorsBody } from '../src/routes/api-vendors.ts';
import { apiKeyHeaders } from './helpers/auth.ts';
import { noServices } from './helpers/no-services.ts';
import { startTestServer, type TestServer } from './helpers/server.ts';

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer(() => noServices);
}, 60_000);

afterAll(async () => {
  await server?.close();
});

describe('GET /api/vendors', () => {
  it('lists every vendor of the registry with its options as JSON Schema, to a viewer', async () => {
    const res = await server.parley.app.inject({
      method: 'GET',
      url: '/api/vendors',
      headers: await apiKeyHeaders(server.database, 'viewer'),
    });
    expect(res.statusCode).toBe(200);
    const { vendors } = res.json<VendorsBody>();
    for (const kind of ['stt', 'llm', 'tts'] as const) {
      expect(vendors[kind].map((v) => v.provider)).toEqual(VENDORS[kind].map((v) => v.provider));
    }
    const deepgram = vendors.stt.find((v) => v.provider === 'deepgram');
    expect(deepgram).toMatchObject({ access: true, credentialKind: 'deepgram', responseTimeout: false });
    expect(deepgram?.options.properties).toMatchObject({
      model: { type: 'string', default: 'nova-3' },
      endpointingMs: { type: 'integer', minimum: 10, maximum: 10_000 },
      keyterms: { type: 'array', items: { type: 'string' } },
    });
    const local = vendors.tts.find((v) => v.provider === 'local');
    expect(local).toMatchObject({ access: false, responseTimeout: true });
    expect(local?.options.properties).toMatchObject({ voice: { enum: expect.arrayContaining(['kal']) } });
    // Credentials are named, never described by value.
    expect(res.body).not.toMatch(/apiKey|sk-/);
  });

  it('refuses an anonymous request', async () => {
    const res = await server.parley.app.inject({ method: 'GET', url: '/api/vendors' });
    expect(res.statusCode).toBe(401);
  });
});
