import { describe, expect, it } from 'vitest';
import { ProviderApiError } from '../src/errors.ts';

describe('ProviderApiError', () => {
  it('is retryable when no answer came, on 5xx and on 429, and not on other 4xx or a 2xx', () => {
    const retryable = (status?: number) =>
      new ProviderApiError('vobiz', 'place_call', 'x', status === undefined ? {} : { status }).retryable;
    expect(retryable()).toBe(true);
    expect(retryable(500)).toBe(true);
    expect(retryable(503)).toBe(true);
    expect(retryable(429)).toBe(true);
    expect(retryable(400)).toBe(false);
    expect(retryable(401)).toBe(false);
    expect(retryable(404)).toBe(false);
    expect(retryable(201)).toBe(false);
  });

  it('names the provider and operation and keeps only a log-safe excerpt of the provider’s text', () => {
    const error = new ProviderApiError('twilio', 'hang_up', 'HTTP 400', {
      status: 400,
      providerCode: 21220,
      detail: `bad\nthing ${'x'.repeat(500)}`,
    });
    expect(error.name).toBe('ProviderApiError');
    expect(error.message.startsWith('twilio hang up failed: HTTP 400: bad?thing ')).toBe(true);
    expect(error.message.length).toBeLessThan(260);
    expect(error).toMatchObject({
      provider: 'twilio',
      operation: 'hang_up',
      status: 400,
      providerCode: 21220,
    });
  });
});
