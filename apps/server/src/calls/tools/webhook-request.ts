/**
 * Runs one webhook tool call: fills the URL, reads header secrets from their credentials, sends
 * the request through the egress fetch with a time limit per attempt, retries transient
 * failures with backoff, and turns every outcome into a text the LLM can read. Never throws:
 * a failure is an outcome with `ok: false`.
 */
import { CredentialError, CredentialUnreadableError } from '../../credentials/errors.ts';
import type { CredentialStore } from '../../credentials/store.ts';
import { trimForLlm } from './tool-result.ts';
import type { CredentialHeader, ToolDefinitionConfig } from './tool-schema.ts';
import { renderUrlTemplate, scalarText } from './url-template.ts';

/** What a webhook call needs from the server. */
export interface WebhookDeps {
  /** The egress fetch (`security/egress.ts`): refuses non-public addresses unless `EGRESS_ALLOW` allows them. */
  readonly fetch: typeof fetch;
  readonly credentials: Pick<CredentialStore, 'reveal'>;
}

/** The request as made, for people: secret header values are `***`. */
export interface WebhookRequestInfo {
  readonly method: string;
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  /** The JSON body (methods other than GET). */
  readonly body?: string;
}

/** How one webhook call went. */
export interface WebhookOutcome {
  /** A 2xx answer was received. */
  readonly ok: boolean;
  /** HTTP status of the last answer, if one came. */
  readonly status?: number;
  /** From the first attempt to the end, ms. */
  readonly durationMs: number;
  /** Requests sent (1 + retries used); 0 when none could be made. */
  readonly attempts: number;
  /** Undefined when the URL or headers could not be prepared. */
  readonly request?: WebhookRequestInfo;
  /** The last answer's body as text (at most {@link MAX_BODY_BYTES} bytes read). */
  readonly responseBody?: string;
  /** What the LLM reads: the body cut to `maxResponseChars`, or a JSON `{ error }`. */
  readonly result: string;
  /** Why it failed, in words without secrets (for logs, events and the test API). */
  readonly error?: string;
}

/** The most of a response body read, bytes; the rest is dropped. */
export const MAX_BODY_BYTES = 256 * 1024;
const BACKOFF_MS = 250;
const MAX_RETRY_AFTER_MS = 5000;
const MASK = '***';

/**
 * The longest a webhook call can take with its retries, ms: every attempt's time limit, the
 * longest wait before each retry, and a second of slack. The function call's own time limit.
 */
export function webhookTimeLimitMs(tool: Pick<ToolDefinitionConfig, 'timeoutSecs' | 'retries'>): number {
  return (tool.retries + 1) * tool.timeoutSecs * 1000 + tool.retries * MAX_RETRY_AFTER_MS + 1000;
}

/** Why a request could not be prepared (a credential that cannot be used). */
class SetupError extends Error {}

/**
 * Sends the tool's request with `args` (already validated) and the call's context `vars`.
 * GET puts the arguments not used by the URL in the query; the other methods send them as a
 * JSON body. `signal` (the function call's) aborts everything, backoff waits included.
 */
export async function runWebhook(
  deps: WebhookDeps,
  tool: ToolDefinitionConfig,
  args: Readonly<Record<string, unknown>>,
  vars: Readonly<Record<string, string>>,
  signal?: AbortSignal,
): Promise<WebhookOutcome> {
  const startedAt = performance.now();
  const elapsed = () => Math.round(performance.now() - startedAt);
  let prepared: { request: WebhookRequestInfo; init: RequestInit };
  try {
    prepared = await prepare(deps, tool, args, vars);
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error);
    return failure(elapsed(), 0, undefined, `not set up: ${detail}`, 'the tool is not set up correctly');
  }
  const { request, init } = prepared;
  let attempts = 0;
  for (;;) {
    attempts++;
    const timeout = AbortSignal.timeout(tool.timeoutSecs * 1000);
    const attemptSignal = signal ? AbortSignal.any([signal, timeout]) : timeout;
    let response: Response;
    try {
      response = await deps.fetch(request.url, { ...init, signal: attemptSignal, redirect: 'error' });
    } catch (error) {
      if (signal?.aborted) return failure(elapsed(), attempts, request, 'cancelled', 'cancelled');
      if (timeout.aborted) {
        const said = `the tool did not answer within ${tool.timeoutSecs} s`;
        return failure(elapsed(), attempts, request, `timed out after ${tool.timeoutSecs} s`, said);
      }
      const egress = egressRefusal(error);
      if (egress) {
        return failure(
          elapsed(),
          attempts,
          request,
          `refused: ${egress}`,
          "the tool's address is not allowed",
        );
      }
      if (attempts <= tool.retries && (await pause(BACKOFF_MS * 2 ** (attempts - 1), signal))) continue;
      return failure(
        elapsed(),
        attempts,
        request,
        `network error: ${causeText(error)}`,
        'could not reach the tool',
      );
    }
    let body: string;
    try {
      body = await readCapped(response, MAX_BODY_BYTES);
    } catch (error) {
      if (signal?.aborted) return failure(elapsed(), attempts, request, 'cancelled', 'cancelled');
      const why = timeout.aborted ? `timed out after ${tool.timeoutSecs} s` : causeText(error);
      return failure(
        elapsed(),
        attempts,
        request,
        `reading the answer failed: ${why}`,
        'the answer was cut off',
      );
    }
    const status = response.status;
    if (response.ok) {
      return {
        ok: true,
        status,
        durationMs: elapsed(),
        attempts,
        request,
        responseBody: body,
        result:
          body.trim() === '' ? JSON.stringify({ ok: true, status }) : trimForLlm(body, tool.maxResponseChars),
      };
    }
    const transient = status === 429 || status >= 500;
    if (transient && attempts <= tool.retries) {
      const wait = retryAfterMs(response) ?? BACKOFF_MS * 2 ** (attempts - 1);
      if (await pause(wait, signal)) continue;
    }
    return {
      ok: false,
      status,
      durationMs: elapsed(),
      attempts,
      request,
      responseBody: body,
      result: JSON.stringify({
        error: `the tool answered HTTP ${status}`,
        ...(body.trim() === '' ? {} : { body: trimForLlm(body, tool.maxResponseChars) }),
      }),
      error: `HTTP ${status}`,
    };
  }
}

/** The URL, headers (secrets read) and body of the request, and their masked description. */
async function prepare(
  deps: WebhookDeps,
  tool: ToolDefinitionConfig,
  args: Readonly<Record<string, unknown>>,
  vars: Readonly<Record<string, string>>,
): Promise<{ request: WebhookRequestInfo; init: RequestInit }> {
  const { url: filled, usedArguments } = renderUrlTemplate(tool.url, args, vars);
  const rest = Object.fromEntries(Object.entries(args).filter(([name]) => !usedArguments.has(name)));
  const url = new URL(filled);
  let body: string | undefined;
  if (tool.method === 'GET') {
    for (const [name, value] of Object.entries(rest)) {
      if (value !== undefined && value !== null) url.searchParams.append(name, scalarText(value));
    }
  } else body = JSON.stringify(rest);

  const shown: Record<string, string> = { accept: 'application/json, text/plain;q=0.9, */*;q=0.5' };
  const sent: Record<string, string> = { ...shown };
  if (body !== undefined) {
    shown['content-type'] = 'application/json';
    sent['content-type'] = 'application/json';
  }
  for (const [name, value] of Object.entries(tool.headers)) {
    if (typeof value === 'string') {
      shown[name] = value;
      sent[name] = value;
    } else {
      shown[name] = MASK;
      sent[name] = await headerSecret(deps, value, url.href, name);
    }
  }
  return {
    request: { method: tool.method, url: url.href, headers: shown, ...(body === undefined ? {} : { body }) },
    init: { method: tool.method, headers: sent, ...(body === undefined ? {} : { body }) },
  };
}

/**
 * The value of a credential header (`prefix` + the field).
 * @throws {@link SetupError} when the credential is missing, of another kind, bound elsewhere,
 *   unreadable, or lacks the field (messages name it, never its value).
 */
async function headerSecret(
  deps: WebhookDeps,
  ref: CredentialHeader,
  url: string,
  header: string,
): Promise<string> {
  let value: Record<string, string>;
  try {
    value = await deps.credentials.reveal(ref.credential, 'generic', url, `headers.${header}`);
  } catch (error) {
    if (error instanceof CredentialError || error instanceof CredentialUnreadableError) {
      throw new SetupError(error.message);
    }
    throw error;
  }
  const secret = value[ref.field];
  if (secret === undefined) {
    throw new SetupError(`headers.${header}: credential "${ref.credential}" has no field "${ref.field}"`);
  }
  return `${ref.prefix ?? ''}${secret}`;
}

function failure(
  durationMs: number,
  attempts: number,
  request: WebhookRequestInfo | undefined,
  error: string,
  said: string,
): WebhookOutcome {
  return {
    ok: false,
    durationMs,
    attempts,
    ...(request ? { request } : {}),
    result: JSON.stringify({ error: said }),
    error,
  };
}

/** Reads at most `maxBytes` of the body as UTF-8, then stops reading. */
async function readCapped(response: Response, maxBytes: number): Promise<string> {
  if (!response.body) return '';
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    while (size < maxBytes) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      size += value.byteLength;
    }
  } finally {
    await reader.cancel().catch(() => undefined);
  }
  return new TextDecoder().decode(Buffer.concat(chunks).subarray(0, maxBytes));
}

/** `Retry-After` in seconds, when given and short enough to wait for, ms. */
function retryAfterMs(response: Response): number | undefined {
  const secs = Number(response.headers.get('retry-after'));
  return Number.isFinite(secs) && secs >= 0 && secs * 1000 <= MAX_RETRY_AFTER_MS ? secs * 1000 : undefined;
}

/** Waits `ms`; false when `signal` aborted meanwhile. */
function pause(ms: number, signal: AbortSignal | undefined): Promise<boolean> {
  if (signal?.aborted) return Promise.resolve(false);
  return new Promise((resolve) => {
    const onAbort = () => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve(true);
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** The egress refusal behind a failed fetch (a `TypeError` whose cause has code `ERR_EGRESS_REFUSED`), if it is one. */
function egressRefusal(error: unknown): string | undefined {
  for (let e: unknown = error, depth = 0; e instanceof Error && depth < 4; e = e.cause, depth++) {
    if ((e as { code?: unknown }).code === 'ERR_EGRESS_REFUSED') return e.message;
  }
  return undefined;
}

function causeText(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause instanceof Error ? `: ${error.cause.message}` : '';
  return `${error.message}${cause}`;
}
