import { Writable } from 'node:stream';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { installErrorHandling } from '../src/routes/errors.ts';

/** Log lines written by the app, parsed. */
const logLines: Record<string, unknown>[] = [];
let app: FastifyInstance;

beforeAll(async () => {
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n')) if (line) logLines.push(JSON.parse(line));
      done();
    },
  });
  const logger: FastifyBaseLogger = pino({ level: 'info' }, sink);
  app = Fastify({ loggerInstance: logger });
  installErrorHandling(app);
  await app.register(async (child) => {
    child.get('/boom', async () => {
      throw new Error('database password is hunter2');
    });
    child.get('/zod/:n', async (request) => {
      const { n } = z.object({ n: z.coerce.number().int() }).parse(request.params);
      return { n };
    });
    child.post(
      '/schema',
      { schema: { body: { type: 'object', required: ['name'], properties: { name: { type: 'string' } } } } },
      async (request) => request.body,
    );
    child.post('/echo', async (request) => ({ received: request.body }));
  });
  await app.ready();
});

afterAll(async () => {
  await app?.close();
});

describe('installErrorHandling', () => {
  it('answers 500 without the message or stack, and logs the error with the request id', async () => {
    const response = await app.inject({ url: '/boom' });
    expect(response.statusCode).toBe(500);
    const body = response.json<{ error: { code: string; message: string; requestId: string } }>();
    expect(body.error).toEqual({
      code: 'internal_error',
      message: 'Internal server error',
      requestId: expect.any(String),
    });
    expect(response.body).not.toContain('hunter2');
    expect(response.body).not.toContain('at ');
    const logged = logLines.find((line) => line.msg === 'unhandled error');
    expect(logged).toMatchObject({ level: 50, reqId: body.error.requestId });
    expect(JSON.stringify(logged)).toContain('hunter2');
  });

  it('answers 400 invalid_json for a malformed JSON body and for an empty one', async () => {
    for (const payload of ['{"a": ', '']) {
      const response = await app.inject({
        method: 'POST',
        url: '/echo',
        headers: { 'content-type': 'application/json' },
        payload,
      });
      expect(response.statusCode, JSON.stringify(payload)).toBe(400);
      expect(response.json()).toMatchObject({ error: { code: 'invalid_json', message: expect.any(String) } });
    }
  });

  it('answers 400 invalid_request for a Fastify schema validation failure', async () => {
    const response = await app.inject({ method: 'POST', url: '/schema', payload: { other: 1 } });
    expect(response.statusCode).toBe(400);
    expect(response.json()).toMatchObject({
      error: { code: 'invalid_request', message: expect.stringContaining('name') },
    });
  });

  it('answers 400 invalid_request with issues for a thrown ZodError', async () => {
    const response = await app.inject({ url: '/zod/1.5' });
    expect(response.statusCode).toBe(400);
    expect(response.json()).toMatchObject({
      error: { code: 'invalid_request', issues: [expect.stringMatching(/^n:/)] },
    });
  });

  it('keeps other client errors: 415 for an unsupported body type', async () => {
    const response = await app.inject({
      method: 'POST',
      url: '/echo',
      headers: { 'content-type': 'application/x-unknown' },
      payload: 'x',
    });
    expect(response.statusCode).toBe(415);
    expect(response.json()).toMatchObject({ error: { code: 'unsupported_media_type' } });
  });

  it('answers 404 JSON for an unknown route, without echoing the query string', async () => {
    const response = await app.inject({ url: '/nowhere?token=abc' });
    expect(response.statusCode).toBe(404);
    expect(response.json()).toEqual({ error: { code: 'not_found', message: 'No route GET /nowhere' } });
  });
});
