/**
 * Checking a configured service against its vendor before a call needs it: one cheap
 * authenticated request (read a model or a voice) that says whether the key is accepted and the
 * model or voice exists. Each vendor implements it in its own folder (`<vendor>/check.ts`),
 * loaded only when a check runs.
 */

/** What a check may use: as {@link VendorAccess} for a call, without the call's details. */
export interface VendorCheckAccess {
  readonly apiKey: string | undefined;
  /** The agent's or the server's base URL; `undefined`: the vendor's own. */
  readonly baseUrl: string | undefined;
  /** A `fetch` obeying the server's egress policy (SDKs that take one use it). */
  readonly fetch: typeof fetch | undefined;
  /** Cancels the check (the caller's time limit). */
  readonly signal: AbortSignal;
}

/** Why a check failed, or that it passed or could not be made. */
export type VendorCheckCode =
  | 'ok'
  | 'unauthorized'
  | 'unknown_model'
  | 'unknown_voice'
  | 'unreachable'
  | 'vendor_error'
  | 'not_checked';

/** The outcome of one check; `ok` is `null` when the vendor offers nothing to check with. Never holds the key. */
export interface VendorCheckResult {
  readonly ok: boolean | null;
  readonly code: VendorCheckCode;
  /** One sentence for the operator. */
  readonly message: string;
}

/** A passed check. */
export function checkPassed(message: string): VendorCheckResult {
  return { ok: true, code: 'ok', message };
}

/**
 * The failed check for `error`, thrown by a vendor SDK: HTTP 401/403 → `unauthorized`; 404 →
 * `notFound` (the model or voice asked for); no HTTP answer → `unreachable`; else `vendor_error`.
 * The message never includes the key.
 */
export function checkFailed(
  error: unknown,
  label: string,
  notFound: { readonly code: 'unknown_model' | 'unknown_voice'; readonly message: string },
): VendorCheckResult {
  const status = httpStatusOf(error);
  if (status === 401 || status === 403) {
    return { ok: false, code: 'unauthorized', message: `${label} refused the key (HTTP ${status})` };
  }
  if (status === 404) return { ok: false, code: notFound.code, message: notFound.message };
  if (status === undefined) {
    const why = error instanceof Error ? error.message : String(error);
    return { ok: false, code: 'unreachable', message: `${label} could not be reached: ${why}` };
  }
  return { ok: false, code: 'vendor_error', message: `${label} answered HTTP ${status}` };
}

/** The HTTP status an SDK error carries (`status` or `statusCode`), if any. */
function httpStatusOf(error: unknown): number | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const { status, statusCode } = error as { status?: unknown; statusCode?: unknown };
  if (typeof status === 'number') return status;
  if (typeof statusCode === 'number') return statusCode;
  return undefined;
}
