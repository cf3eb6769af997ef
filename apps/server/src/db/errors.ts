/**
 * Error classes thrown by the data layer. Anything else that escapes a
 * repository is an unexpected driver error (connection lost, constraint bug…).
 */

/** `openDatabase` was given options it cannot use (e.g. a schema name that is not a plain identifier). */
export class DatabaseConfigError extends Error {
  override readonly name = 'DatabaseConfigError';
}

/** An operation needed a call row that does not exist. */
export class CallNotFoundError extends Error {
  override readonly name = 'CallNotFoundError';

  /** @param callId - The id that was looked up. */
  constructor(readonly callId: string) {
    super(`Call ${callId} does not exist`);
  }
}

/**
 * A call with the same provider call id (e.g. the same Twilio CallSid) already
 * exists. Callers handling webhook retries can look it up with
 * `CallRepository.findByProviderCallId(provider, providerCallId)`.
 */
export class DuplicateCallError extends Error {
  override readonly name = 'DuplicateCallError';

  constructor(
    readonly provider: string,
    readonly providerCallId: string,
    options?: ErrorOptions,
  ) {
    super(`A ${provider} call with provider call id ${providerCallId} already exists`, options);
  }
}

/** PostgreSQL's SQLSTATE for unique_violation; pg and PGlite both expose it as `error.code`. */
const UNIQUE_VIOLATION = '23505';

/** Whether `error` is a PostgreSQL unique-constraint violation (from pg or PGlite). */
export function isUniqueViolation(error: unknown): boolean {
  return typeof error === 'object' && error !== null && 'code' in error && error.code === UNIQUE_VIOLATION;
}
