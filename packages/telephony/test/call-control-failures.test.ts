import { describe, expect, it } from 'vitest';
import type { CallControl, OutboundCallRequest } from '../src/call-control.ts';
import { ProviderApiError } from '../src/errors.ts';
import {
  type CallControlHarness,
  type FakeProviderApi,
  useCallControlFixture,
} from './helpers/call-control-harness.ts';
import { exotelCalls, twilioCalls, vobizCalls } from './helpers/call-control-providers.ts';
import { refusedOrigin } from './helpers/callback-receiver.ts';

type Harness = CallControlHarness<FakeProviderApi, CallControl>;

// `[name, harness]` rows: `%s` prints the name bare where `$name` would quote it.
const rows = (...harnesses: Harness[]) => harnesses.map((harness) => [harness.name, harness] as const);

// Failure handling is the same contract for every provider; each runs it against its own fake.
describe.each(rows(twilioCalls, vobizCalls, exotelCalls))('%s call control: placeCall', (_, harness) => {
  let fake: FakeProviderApi;
  let control: CallControl;
  let request: (timeLimitSecs?: number) => OutboundCallRequest;
  useCallControlFixture(harness, (fixture) => {
    ({ fake, control } = fixture);
    request = (timeLimitSecs) => harness.request(fixture.webhooks, timeLimitSecs);
  });

  it(`sends no ${harness.timeLimitField} when the request has none`, async () => {
    await control.placeCall(request());
    expect(fake.requests[0]?.body).not.toHaveProperty(harness.timeLimitField);
  });

  it('reports a 500 as a retryable ProviderApiError', async () => {
    fake.reply({ status: 500 });
    await expect(control.placeCall(request())).rejects.toMatchObject({
      name: 'ProviderApiError',
      status: 500,
      providerCode: harness.providerCodes.status500,
      retryable: true,
    });
  });

  it('reports wrong credentials as a 401 that is not retryable', async () => {
    const wrong = harness.control(fake, { wrongSecret: true });
    await expect(wrong.placeCall(request())).rejects.toMatchObject({
      status: 401,
      providerCode: harness.providerCodes.status401,
      retryable: false,
    });
  });

  it('reports a refused connection as a retryable ProviderApiError without status', async () => {
    const offline = harness.control(fake, { origin: await refusedOrigin() });
    const error = await offline.placeCall(request()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ProviderApiError);
    expect(error).toMatchObject({ status: undefined, retryable: true });
    expect((error as Error).message).toContain('ECONNREFUSED');
  });

  it('gives up after requestTimeoutMs with a retryable ProviderApiError', async () => {
    const impatient = harness.control(fake, { requestTimeoutMs: 100 });
    fake.reply({ delayMs: 5_000 });
    const error = await impatient.placeCall(request()).catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'ProviderApiError', status: undefined, retryable: true });
    expect((error as Error).message).toContain(harness.timeoutMessage);
  });

  it('aborts the request in flight when the signal fires', async () => {
    fake.reply({ delayMs: 5_000 });
    const controller = new AbortController();
    const started = performance.now();
    const placing = control.placeCall(request(), controller.signal);
    setTimeout(() => controller.abort(), 50);
    await expect(placing).rejects.toMatchObject({ name: 'AbortError' });
    expect(performance.now() - started).toBeLessThan(2_000);
    expect(fake.requests).toHaveLength(1);
  });

  it('sends nothing when the signal has already fired', async () => {
    const reason = new Error('call canceled');
    await expect(control.placeCall(request(), AbortSignal.abort(reason))).rejects.toBe(reason);
    expect(fake.requests).toHaveLength(0);
  });

  it('sends nothing when the signal has already fired without a reason', async () => {
    await expect(control.placeCall(request(), AbortSignal.abort())).rejects.toMatchObject({
      name: 'AbortError',
    });
    expect(fake.requests).toHaveLength(0);
  });
});

// Exotel has no hang-up request (its own test covers `not_supported`).
describe.each(rows(twilioCalls, vobizCalls))('%s call control: hangUp', (_, harness) => {
  let fake: FakeProviderApi;
  let control: CallControl;
  useCallControlFixture(harness, (fixture) => {
    ({ fake, control } = fixture);
  });

  it.each([502, 503])('reports a %i as a retryable ProviderApiError', async (status) => {
    fake.reply({ status });
    await expect(control.hangUp(harness.unknownCallId)).rejects.toMatchObject({
      operation: 'hang_up',
      status,
      retryable: true,
    });
  });

  it('aborts when the signal fires', async () => {
    fake.reply({ delayMs: 5_000 });
    await expect(control.hangUp(harness.unknownCallId, AbortSignal.timeout(50))).rejects.toMatchObject({
      name: 'TimeoutError',
    });
  });
});
