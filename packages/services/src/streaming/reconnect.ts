import { STTConfigurationError, STTConnectionError } from '../errors.ts';

/** The reconnection options every streaming STT service takes. Durations in ms. */
export interface ReconnectPolicy {
  /** Reconnection attempts after a dropped socket before giving up. Default 5. */
  readonly maxReconnectAttempts?: number;
  /** Delay before the first reconnection attempt, doubled per attempt up to 4000, ms. Default 250. */
  readonly reconnectDelayMs?: number;
}

/** What {@link reconnectInBackground} needs from the service whose socket dropped. */
export interface Reconnection<S> {
  /** The vendor's name in errors, e.g. `'Deepgram'`. */
  readonly vendor: string;
  readonly policy: ReconnectPolicy;
  /** Aborted on disconnect: ends the attempts, and nothing is reported after it. */
  readonly signal: AbortSignal;
  /** Opens one socket and waits for its handshake. */
  open(signal: AbortSignal): Promise<S>;
  /** The first socket that opened: replay the buffered audio on it and make it current. */
  resume(socket: S): void;
  /** Every attempt failed: forget the buffered audio. */
  giveUp(): void;
  /** The service's `pushError`. */
  report(error: unknown, fatal: boolean): void;
}

const MAX_RECONNECT_DELAY_MS = 4000;

/**
 * Handles a dropped streaming socket: reports the drop as a non-fatal {@link STTConnectionError},
 * then reopens the socket in the background with exponential backoff (`reconnectDelayMs`, then
 * doubled per attempt up to 4000 ms, at most `maxReconnectAttempts`). A rejected configuration
 * (an {@link STTConfigurationError}, e.g. a refused key) ends the attempts at once; it, or the
 * `STTConnectionError` after the last failed attempt, is reported fatal: the call can no longer
 * hear. Nothing is reported once `signal` is aborted.
 */
export function reconnectInBackground<S>(r: Reconnection<S>): void {
  r.report(new STTConnectionError(`the ${r.vendor} connection dropped; reconnecting`), false);
  reopen(r).catch((e: unknown) => {
    if (!r.signal.aborted) r.report(e, true);
  });
}

async function reopen<S>(r: Reconnection<S>): Promise<void> {
  const { signal } = r;
  const attempts = r.policy.maxReconnectAttempts ?? 5;
  let delayMs = r.policy.reconnectDelayMs ?? 250;
  let lastError: unknown;
  for (let attempt = 1; attempt <= attempts; attempt++) {
    await new Promise((resolve) => setTimeout(resolve, delayMs));
    signal.throwIfAborted();
    delayMs = Math.min(delayMs * 2, MAX_RECONNECT_DELAY_MS);
    try {
      r.resume(await r.open(signal));
      return;
    } catch (e) {
      if (e instanceof STTConfigurationError || signal.aborted) throw e;
      lastError = e;
    }
  }
  r.giveUp();
  throw new STTConnectionError(
    `the ${r.vendor} connection dropped and ${attempts} reconnection attempts failed`,
    {
      cause: lastError,
    },
  );
}

/** The non-fatal error reported once when caller audio outgrows the reconnection buffer (`bufferMs`). */
export function audioDroppedError(vendor: string, bufferMs: number): STTConnectionError {
  return new STTConnectionError(
    `${vendor} is still reconnecting; dropping caller audio older than ${bufferMs} ms`,
  );
}
