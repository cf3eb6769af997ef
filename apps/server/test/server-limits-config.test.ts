import { availableParallelism } from 'node:os';
import { describe, expect, it } from 'vitest';
import { loadServerConfig } from '../src/config/server-config.ts';
import { BYTES_PER_CALL, machineCallLimit } from '../src/limits/machine-limit.ts';
import { loggerOptions } from '../src/logging.ts';

describe('the limits and proxy configuration', () => {
  it('trusts no proxy and applies short waits by default', () => {
    const config = loadServerConfig({});
    expect(config.trustProxy).toEqual([]);
    expect(config.limits).toMatchObject({
      streamWaitMs: 15_000,
      streamStartTimeoutMs: 5000,
      maxPendingStreamsPerIp: 20,
      webhooksPerMinute: 1200,
      apiRequestsPerMinute: 1200,
    });
    // From the machine (its free memory moves, so only the bounds are fixed).
    expect(config.limits.maxConcurrentCalls).toBeGreaterThanOrEqual(1);
    expect(config.limits.maxConcurrentCalls).toBeLessThanOrEqual(4 * availableParallelism());
  });

  it('reads TRUST_PROXY as addresses, CIDRs and proxy-addr names, and refuses anything else', () => {
    const config = loadServerConfig({ TRUST_PROXY: '10.0.0.1, 10.0.0.0/8,loopback,fd00::/8' });
    expect(config.trustProxy).toEqual(['10.0.0.1', '10.0.0.0/8', 'loopback', 'fd00::/8']);
    for (const bad of ['proxy.example.com', '10.0.0.0/33', '10.0.0.1/8/1', '*']) {
      expect(() => loadServerConfig({ TRUST_PROXY: bad })).toThrow(/TRUST_PROXY/);
    }
  });

  it('reads the limits from the environment', () => {
    const { limits } = loadServerConfig({
      MAX_CONCURRENT_CALLS: '3',
      STREAM_WAIT_SECS: '2.5',
      STREAM_START_TIMEOUT_SECS: '1',
      MAX_PENDING_STREAMS_PER_IP: '4',
      RATE_LIMIT_WEBHOOKS_PER_MIN: '60',
      RATE_LIMIT_API_PER_MIN: '30',
    });
    expect(limits).toEqual({
      maxConcurrentCalls: 3,
      streamWaitMs: 2500,
      streamStartTimeoutMs: 1000,
      maxPendingStreamsPerIp: 4,
      webhooksPerMinute: 60,
      apiRequestsPerMinute: 30,
    });
    expect(() => loadServerConfig({ MAX_CONCURRENT_CALLS: '0' })).toThrow(/MAX_CONCURRENT_CALLS/);
  });
});

describe('machineCallLimit', () => {
  const GB = 1024 ** 3;

  it('takes 4 calls a core unless free memory allows fewer, and at least 1', () => {
    expect(machineCallLimit({ cores: 2, freeMemoryBytes: 24 * GB })).toBe(8);
    expect(machineCallLimit({ cores: 16, freeMemoryBytes: 3 * BYTES_PER_CALL })).toBe(3);
    expect(machineCallLimit({ cores: 1, freeMemoryBytes: 0 })).toBe(1);
  });
});

describe('loggerOptions', () => {
  it('pretty-prints to a terminal and writes JSON lines otherwise', () => {
    expect(loggerOptions('info', { isTTY: true })).toMatchObject({
      level: 'info',
      transport: { target: 'pino-pretty' },
    });
    const json = loggerOptions('warn', { isTTY: false });
    expect(json).toMatchObject({ level: 'warn', redact: { censor: '[redacted]' } });
    expect(json).not.toHaveProperty('transport');
  });
});
