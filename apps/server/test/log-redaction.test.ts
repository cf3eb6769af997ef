import { Writable } from 'node:stream';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { LOG_REDACT } from '../src/security/log-redaction.ts';

describe('log redaction', () => {
  it('logs secrets wherever they sit as [redacted], and the rest as is', () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk, _encoding, done) {
        lines.push(String(chunk));
        done();
      },
    });
    const log = pino({ redact: LOG_REDACT }, sink);
    log.warn(
      {
        apiKey: 'S-top',
        settings: { twilio: { accountSid: 'AC1', authToken: 'S-twilio' }, exotel: { apiToken: 'S-exotel' } },
        agent: { config: { llm: { apiKey: 'S-agent' } } },
        req: {
          headers: { authorization: 'Bearer S-header', cookie: 'sid=S-cookie', 'x-auth-token': 'S-vobiz' },
        },
        err: { config: { headers: { Authorization: 'Bearer S-axios' } } },
      },
      'something to look at',
    );
    const [line] = lines;
    for (const secret of [
      'S-top',
      'S-twilio',
      'S-exotel',
      'S-agent',
      'S-header',
      'S-cookie',
      'S-vobiz',
      'S-axios',
    ]) {
      expect(line).not.toContain(secret);
    }
    expect(line).toContain('[redacted]');
    expect(line).toContain('"accountSid":"AC1"');
    expect(line).toContain('something to look at');
  });
});
