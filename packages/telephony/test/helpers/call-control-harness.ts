import { afterEach, beforeEach } from 'vitest';
import type { CallControl, OutboundCallRequest } from '../../src/call-control.ts';
import type { FakeApiRequest, ScriptedReply } from '../../src/testing/index.ts';
import { CallbackReceiver } from './callback-receiver.ts';

/** What the shared call-control tests use of a provider's fake REST API. */
export interface FakeProviderApi {
  readonly url: string;
  readonly requests: readonly FakeApiRequest<unknown>[];
  reply(...replies: ScriptedReply[]): unknown;
  close(): Promise<void>;
}

/** How to make a call control that differs from the one a fixture holds. */
export interface ControlOverrides {
  /** Send a wrong secret (auth token / API token) instead of the fake's. */
  readonly wrongSecret?: boolean;
  /** Point at this origin (the provider's API path appended) instead of the fake. */
  readonly origin?: string;
  readonly requestTimeoutMs?: number;
}

/** One provider's call control wired to its fake REST API, for tests shared by providers. */
export interface CallControlHarness<TFake extends FakeProviderApi, TControl extends CallControl> {
  /** The provider as tests name it, e.g. `Twilio`. */
  readonly name: string;
  /** The wire field that carries `timeLimitSecs`. */
  readonly timeLimitField: string;
  /** `providerCode` of the errors the fake answers a scripted 500 and bad credentials with. */
  readonly providerCodes: { readonly status500?: number; readonly status401?: number };
  /** What the error says when the fake does not answer within a `requestTimeoutMs` of 100. */
  readonly timeoutMessage: string;
  /** A call id of the provider's shape that the fake does not know. */
  readonly unknownCallId: string;
  start(): Promise<TFake>;
  control(fake: TFake, overrides?: ControlOverrides): TControl;
  /** An outbound call whose callbacks go to `webhooks`. */
  request(webhooks: CallbackReceiver, timeLimitSecs?: number): OutboundCallRequest;
}

/** A started fake, a webhook receiver and a call control against the fake. */
export interface CallControlFixture<TFake extends FakeProviderApi, TControl extends CallControl> {
  readonly fake: TFake;
  readonly webhooks: CallbackReceiver;
  readonly control: TControl;
}

/**
 * Starts a fresh {@link CallControlFixture} before each test of the calling file or `describe`
 * (handed to `use`) and closes it after.
 */
export function useCallControlFixture<TFake extends FakeProviderApi, TControl extends CallControl>(
  harness: CallControlHarness<TFake, TControl>,
  use: (fixture: CallControlFixture<TFake, TControl>) => void,
): void {
  let fixture: CallControlFixture<TFake, TControl> | undefined;
  beforeEach(async () => {
    const fake = await harness.start();
    const webhooks = await CallbackReceiver.start();
    fixture = { fake, webhooks, control: harness.control(fake) };
    use(fixture);
  });
  afterEach(async () => {
    await fixture?.fake.close();
    await fixture?.webhooks.close();
  });
}
