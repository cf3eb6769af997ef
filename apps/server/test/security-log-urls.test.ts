/**
 * One-time stream tokens travel in query strings: Fastify's request log must not write them.
 */
import { Writable } from 'node:stream';
import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { loggerOptions } from '../src/logging.ts';
import { redactUrlSecrets } from '../src/security/log-urls.ts';

describe('request URLs in the log', () => {
  it('mask the value of token-like query parameters only', () => {
    expect(redactUrlSecrets('/ws/browser/demo?callId=c1&token=abc123')).toBe(
      '/ws/browser/demo?callId=c1&token=[redacted]',
    );
    expect(redactUrlSecrets('/ws/exotel/a?token=t&callId=c')).toBe('/ws/exotel/a?token=[redacted]&callId=c');
    expect(redactUrlSecrets('/api/calls?number=%2B1555*&limit=5')).toBe('/api/calls?number=%2B1555*&limit=5');
    expect(redactUrlSecrets('/api/calls?mytoken=x')).toBe('/api/calls?mytoken=x');
  });

  it('never carry a stream token through the server logger', async () => {
    const lines: string[] = [];
    const stream = new Writable({
      write(chunk, _encoding, done) {
        lines.push(String(chunk));
        done();
      },
    });
    const app = Fastify({ logger: { ...loggerOptions('info', { isTTY: false }), stream } });
    app.get('/ws/browser/:agent', async () => ({ ok: true }));
    try {
      const res = await app.inject({ url: '/ws/browser/demo?callId=c-42&token=one-time-secret-77' });
      expect(res.statusCode).toBe(200);
    } finally {
      await app.close();
    }
    const log = lines.join('');
    expect(log).toContain('callId=c-42');
    expect(log).not.toContain('one-time-secret-77');
  });
});
