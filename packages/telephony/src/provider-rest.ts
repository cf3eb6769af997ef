import { ProviderApiError, type ProviderApiOperation } from './errors.ts';
import type { ProviderName } from './types.ts';

/**
 * One HTTP request to a provider's REST API over `fetch`, for the providers without an official
 * Node SDK (Vobiz, Exotel): the caller's abort signal and a timeout applied, failures to get an
 * answer turned into {@link ProviderApiError}s. What the answer means is the caller's business.
 */

/** Default longest wait for a provider's answer, ms. */
export const DEFAULT_REST_TIMEOUT_MS = 15_000;

/** A request to send with {@link sendProviderRequest}. */
export interface ProviderRequest {
  readonly provider: ProviderName;
  readonly operation: ProviderApiOperation;
  readonly method: 'POST' | 'DELETE';
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  /** The encoded body (JSON text or a form), when the method has one. */
  readonly body?: string | URLSearchParams;
  /** Longest wait for the whole answer, ms. */
  readonly timeoutMs: number;
  readonly signal?: AbortSignal | undefined;
}

/** The provider's answer: its status and body text. */
export interface ProviderAnswer {
  readonly status: number;
  readonly text: string;
}

/**
 * Sends the request and reads the whole answer, whatever its status.
 *
 * @throws The signal's `reason` when `request.signal` aborts (before or during the request).
 * @throws {@link ProviderApiError} without `status` (retryable) when no answer came in
 *   `timeoutMs` or the connection failed (refused, reset, DNS).
 */
export async function sendProviderRequest(request: ProviderRequest): Promise<ProviderAnswer> {
  const { signal } = request;
  signal?.throwIfAborted();
  const timeout = AbortSignal.timeout(request.timeoutMs);
  const combined = signal === undefined ? timeout : AbortSignal.any([signal, timeout]);
  try {
    const response = await fetch(request.url, {
      method: request.method,
      headers: request.headers,
      ...(request.body === undefined ? {} : { body: request.body }),
      signal: combined,
      redirect: 'error',
    });
    return { status: response.status, text: await response.text() };
  } catch (error) {
    if (signal?.aborted) throw signal.reason;
    const problem = timeout.aborted
      ? `no answer within ${request.timeoutMs} ms`
      : `no answer (${networkProblem(error)})`;
    throw new ProviderApiError(request.provider, request.operation, problem, { cause: error });
  }
}

/** `text` parsed as JSON, or `undefined` when it is not JSON. */
export function parseJsonText(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** Basic credentials: `Basic base64(user:password)`. */
export function basicAuthorization(user: string, password: string): string {
  return `Basic ${Buffer.from(`${user}:${password}`, 'utf8').toString('base64')}`;
}

/** An API base URL without its trailing slashes, checked to be absolute http(s). */
export function apiBase(provider: ProviderName, url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new TypeError(`${provider} API base URL is not an absolute URL: ${url}`);
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:')
    throw new TypeError(`${provider} API base URL must be http(s): ${url}`);
  return url.replace(/\/+$/, '');
}

/** The error code of a failed `fetch` (undici puts it on `cause`), e.g. `ECONNREFUSED`. */
function networkProblem(error: unknown): string {
  const cause = error instanceof Error ? error.cause : undefined;
  const code = typeof cause === 'object' && cause !== null && 'code' in cause ? cause.code : undefined;
  if (typeof code === 'string') return code;
  return error instanceof Error ? error.message : 'network error';
}
