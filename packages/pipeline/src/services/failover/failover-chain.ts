import { frame, type ServiceKind, type ServiceSwitchedFrame } from '../../frames/frames.ts';
import { isAbortError } from '../../processors/frame-processor.ts';
import { backoffDelayMs, isConfigurationError } from '../retry.ts';

/** Options shared by `FailoverSTTService`, `FailoverLLMService` and `FailoverTTSService`. */
export interface FailoverOptions {
  /** Processor name (default: the class name). */
  readonly name?: string;
  /**
   * How long a failed service is left out before it is tried again, ms; it doubles with each
   * consecutive failure of that service, up to {@link maxCooldownMs}. Default 5000.
   */
  readonly cooldownMs?: number;
  /** Longest cool-down, ms. Default 60000. */
  readonly maxCooldownMs?: number;
  /**
   * Whether a failure moves the work to the next service. Default {@link isFailoverError}: any
   * error but an abort and a configuration error (a rejected key or unknown model is the
   * operator's to fix, and is reported as today).
   */
  readonly failOverOn?: (error: unknown) => boolean;
}

/**
 * The default failover policy: true for any error except an abort (the caller interrupted) and a
 * configuration error (a class named `…ConfigurationError`, see `isConfigurationError`).
 */
export function isFailoverError(error: unknown): boolean {
  return !isAbortError(error) && !isConfigurationError(error);
}

interface Health {
  /** Consecutive failures; 0 when healthy. */
  failures: number;
  /** Clock time from which it may be tried again, ms. */
  retryAtMs: number;
  /** It can never run again (e.g. a fatal error of a service that cannot be restarted). */
  dead: boolean;
  lastError: string | undefined;
}

/**
 * Health and selection of an ordered chain of services of one kind (the first is preferred):
 * which to try for the next request, cool-downs after failures, and the `service_switched`
 * frame each time the service in use changes. Times come from `now` (the processor's clock).
 */
export class FailoverChain {
  private readonly health: Health[];
  private readonly cooldownMs: number;
  private readonly maxCooldownMs: number;
  private readonly failOverOn: (error: unknown) => boolean;
  private current: number | undefined;

  /**
   * @param kind The services' kind, for the switch frames.
   * @param names The services' names, in chain order.
   * @param onSwitch Receives each `service_switched` frame.
   * @param now The clock, ms.
   * @throws RangeError for an empty chain or a cool-down that is not ≥ 0.
   */
  constructor(
    private readonly kind: ServiceKind,
    private readonly names: readonly string[],
    options: FailoverOptions,
    private readonly onSwitch: (f: ServiceSwitchedFrame) => void,
    private readonly now: () => number,
  ) {
    if (names.length === 0) throw new RangeError('a failover chain needs at least one service');
    this.cooldownMs = options.cooldownMs ?? 5000;
    this.maxCooldownMs = options.maxCooldownMs ?? 60_000;
    if (!(this.cooldownMs >= 0) || !(this.maxCooldownMs >= this.cooldownMs)) {
      throw new RangeError('cooldownMs must be ≥ 0 and maxCooldownMs ≥ cooldownMs');
    }
    this.failOverOn = options.failOverOn ?? isFailoverError;
    this.health = names.map(() => ({ failures: 0, retryAtMs: 0, dead: false, lastError: undefined }));
  }

  /** Whether `error` moves the work on (the `failOverOn` option). */
  shouldFailOver(error: unknown): boolean {
    return this.failOverOn(error);
  }

  /** True when service `i` has not failed, or its cool-down has passed (and it is not dead). */
  isHealthy(i: number): boolean {
    const h = this.health[i]!;
    return !h.dead && (h.failures === 0 || this.now() >= h.retryAtMs);
  }

  /**
   * The services to try for the next request, each once, best first: the healthy ones in chain
   * order, then those still cooling down, soonest back first (a request is never refused while
   * a service is alive). Dead services are left out.
   */
  order(): number[] {
    const healthy: number[] = [];
    const cooling: number[] = [];
    this.health.forEach((h, i) => {
      if (h.dead) return;
      if (this.isHealthy(i)) healthy.push(i);
      else cooling.push(i);
    });
    cooling.sort((a, b) => this.health[a]!.retryAtMs - this.health[b]!.retryAtMs);
    return [...healthy, ...cooling];
  }

  /** Make service `i` the one in use, reporting the switch when it changes. */
  select(i: number): void {
    const from = this.current;
    this.current = i;
    if (from === undefined || from === i) return;
    const failed = this.health[from]!;
    const failure = failed.dead || failed.failures > 0;
    this.onSwitch(
      frame('service_switched', {
        service: this.kind,
        from: this.names[from]!,
        to: this.names[i]!,
        reason: failure ? 'failure' : 'recovered',
        ...(failure && failed.lastError !== undefined ? { error: failed.lastError } : {}),
      }),
    );
  }

  /** Service `i` answered: it is healthy again. */
  succeeded(i: number): void {
    const h = this.health[i]!;
    h.failures = 0;
    h.lastError = undefined;
  }

  /** Service `i` failed: it cools down for `cooldownMs · 2^(consecutive failures − 1)`, capped. */
  failed(i: number, error: unknown): void {
    const h = this.health[i]!;
    h.failures++;
    h.retryAtMs =
      this.now() + backoffDelayMs(h.failures - 1, { baseMs: this.cooldownMs, maxMs: this.maxCooldownMs });
    h.lastError = errorMessage(error);
  }

  /** Service `i` can never run again in this call. */
  kill(i: number, error: unknown): void {
    const h = this.health[i]!;
    h.dead = true;
    h.lastError = errorMessage(error);
  }
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
