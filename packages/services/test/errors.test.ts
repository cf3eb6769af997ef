import { describe, expect, it } from 'vitest';
import { LLMConfigurationError, LLMError, LLMRequestError } from '../src/index.ts';

describe('LLM errors', () => {
  it('carry their own name, the status and the cause, and share LLMError', () => {
    const cause = new Error('401 Unauthorized');
    const config = new LLMConfigurationError('bad key', { status: 401, cause });
    const request = new LLMRequestError('network down');
    expect(config).toBeInstanceOf(LLMConfigurationError);
    expect(config).toBeInstanceOf(LLMError);
    expect(config).not.toBeInstanceOf(LLMRequestError);
    expect(request).toBeInstanceOf(LLMRequestError);
    expect(request).toBeInstanceOf(LLMError);
    expect(request).not.toBeInstanceOf(LLMConfigurationError);
    expect([config.name, config.message, config.status, config.cause]).toEqual([
      'LLMConfigurationError',
      'bad key',
      401,
      cause,
    ]);
    expect(String(request)).toBe('LLMRequestError: network down');
    expect(request.status).toBeUndefined();
    expect('cause' in request).toBe(false);
  });
});
