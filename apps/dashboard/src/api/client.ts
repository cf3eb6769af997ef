/**
 * The dashboard's only way to the server: JSON over the REST API, with the session cookie and
 * the CSRF token the server gave at sign-in on every request that changes something.
 */

/** An error answered by the API (`{ error: { code, message, issues? } }`), or a network failure. */
export class ApiError extends Error {
  constructor(
    /** HTTP status; 0 when the server could not be reached. */
    readonly status: number,
    /** The API's stable snake_case code (e.g. `invalid_agent`, `forbidden`). */
    readonly code: string,
    message: string,
    /** One `path: problem` line per invalid field, for validation errors. */
    readonly issues: readonly string[] = [],
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

let csrfToken: string | undefined;

/** Remember the CSRF token of the current session (from sign-in or `GET /api/auth/me`). */
export function setCsrfToken(token: string | undefined): void {
  csrfToken = token;
}

type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/**
 * Call the API: `path` is absolute (`/api/...`), `body` is sent as JSON. Resolves with the
 * parsed JSON body (undefined for 204). Throws {@link ApiError} for any non-2xx answer or a
 * network failure.
 */
export async function api<T>(method: Method, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (method !== 'GET' && csrfToken !== undefined) headers['x-csrf-token'] = csrfToken;
  let response: Response;
  try {
    response = await fetch(path, {
      method,
      headers,
      credentials: 'same-origin',
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new ApiError(0, 'network_error', 'The server could not be reached');
  }
  if (response.status === 204) return undefined as T;
  const text = await response.text();
  const parsed: unknown = text === '' ? undefined : safeJson(text);
  if (!response.ok) throw toApiError(response.status, parsed);
  return parsed as T;
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function toApiError(status: number, body: unknown): ApiError {
  const error = isRecord(body) && isRecord(body.error) ? body.error : undefined;
  const code = typeof error?.code === 'string' ? error.code : `http_${status}`;
  const message = typeof error?.message === 'string' ? error.message : `The server answered ${status}`;
  const issues = Array.isArray(error?.issues)
    ? error.issues.filter((i): i is string => typeof i === 'string')
    : [];
  return new ApiError(status, code, message, issues);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Split an {@link ApiError}'s issues by field: `"prompt: Required"` → `{ prompt: "Required" }`.
 * Issues without a path (or whose path matches no field) go under `""`.
 */
export function issuesByField(error: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (!(error instanceof ApiError)) return out;
  for (const issue of error.issues) {
    const at = issue.indexOf(': ');
    const [raw, message] = at > 0 ? [issue.slice(0, at), issue.slice(at + 2)] : ['', issue];
    const path = raw === '(root)' ? '' : raw;
    out[path] = out[path] === undefined ? message : `${out[path]}; ${message}`;
  }
  return out;
}
