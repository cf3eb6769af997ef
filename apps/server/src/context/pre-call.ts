/**
 * Runs an agent's pre-call request (see `pre-call-config.ts`) and turns its JSON answer into
 * context variables, checked against the agent's variable schema.
 */

import { renderTemplate } from '../calls/template.ts';
import type { CredentialStore } from '../credentials/store.ts';
import { valueAtPath } from './json-path.ts';
import type { PreCallConfig } from './pre-call-config.ts';
import { type ContextValue, type ContextVariable, contextIssues } from './variables.ts';

/** The pre-call request failed: refused, unreachable, timed out, non-2xx or not JSON. */
export class PreCallError extends Error {
  override readonly name = 'PreCallError';
}

/** What one pre-call request is made for. */
export interface PreCallInput {
  readonly callId: string;
  readonly direction: string;
  readonly from: string;
  readonly to: string;
  /** The call's template variables so far (its context with defaults). */
  readonly vars: Readonly<Record<string, string>>;
  /** The agent's variable schema, which the results must fit. */
  readonly variables?: readonly ContextVariable[] | undefined;
}

/** What a pre-call request needs from the server. */
export interface PreCallDeps {
  /** The egress-checked fetch (`createEgressFetch`): the URL is set by an administrator. */
  readonly fetch: typeof fetch;
  /** Where secret headers come from (`generic` credentials bound to the URL's origin). */
  readonly credentials: CredentialStore;
}

/** The outcome of a pre-call request. */
export interface PreCallResult {
  /** The variables set from the answer. */
  readonly values: Record<string, ContextValue>;
  /** Mapped values that were missing or did not fit the schema (their variables keep their defaults). */
  readonly issues: string[];
}

/** Longest answer accepted, characters: a lookup answers in a few kilobytes. */
const MAX_ANSWER_CHARS = 1024 * 1024;

/**
 * Makes the request, within `config.timeoutSecs`, and maps its JSON answer to variables.
 * @throws {@link PreCallError} when there is no usable answer (a refused or missing credential
 *   included); the call then goes on with its defaults.
 */
export async function runPreCall(
  config: PreCallConfig,
  input: PreCallInput,
  deps: PreCallDeps,
): Promise<PreCallResult> {
  const caller = input.direction === 'outbound' ? input.to : input.from;
  const vars = {
    ...input.vars,
    callId: input.callId,
    direction: input.direction,
    from: input.from,
    to: input.to,
    caller,
  };
  const url = renderTemplate(config.url, mapValues(vars, encodeURIComponent));
  const signal = AbortSignal.timeout(config.timeoutSecs * 1000);
  let answer: unknown;
  try {
    const headers = await resolveHeaders(config, url, vars, deps.credentials);
    const body =
      config.method === 'POST' && config.body !== undefined
        ? renderTemplate(
            config.body,
            mapValues(vars, (v) => JSON.stringify(v).slice(1, -1)),
          )
        : undefined;
    if (body !== undefined && !headers.has('content-type')) headers.set('content-type', 'application/json');
    headers.set('accept', 'application/json');
    const response = await deps.fetch(url, {
      method: config.method,
      headers,
      body,
      signal,
      redirect: 'error',
    });
    const text = await response.text();
    if (!response.ok) throw new PreCallError(`the pre-call request answered HTTP ${response.status}`);
    if (text.length > MAX_ANSWER_CHARS) throw new PreCallError('the pre-call answer is too long');
    answer = JSON.parse(text);
  } catch (error) {
    if (error instanceof PreCallError) throw error;
    throw new PreCallError(`the pre-call request failed: ${reasonOf(error)}`, { cause: error });
  }
  return mapAnswer(config.map, answer, input.variables);
}

/** The answer's mapped values that fit the schema; the others as issues. */
function mapAnswer(
  map: Readonly<Record<string, string>>,
  answer: unknown,
  variables: readonly ContextVariable[] | undefined,
): PreCallResult {
  const values: Record<string, ContextValue> = {};
  const issues: string[] = [];
  for (const [name, path] of Object.entries(map)) {
    const value = valueAtPath(answer, path);
    if (value === undefined || value === null) {
      issues.push(`${name}: nothing at ${path}`);
      continue;
    }
    if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') {
      issues.push(`${name}: ${path} is not a string, number or boolean`);
      continue;
    }
    const problems = contextIssues(variables, { [name]: value }, { requireAll: false });
    if (problems.length > 0) issues.push(...problems);
    else values[name] = value;
  }
  return { values, issues };
}

async function resolveHeaders(
  config: PreCallConfig,
  url: string,
  vars: Readonly<Record<string, string>>,
  credentials: CredentialStore,
): Promise<Headers> {
  const headers = new Headers();
  for (const [name, value] of Object.entries(config.headers ?? {})) {
    if (typeof value === 'string') {
      headers.set(name, renderTemplate(value, vars));
      continue;
    }
    const secret = await credentials.reveal(value.credential, 'generic', url, `preCall.headers.${name}`);
    const field = secret[value.field];
    if (field === undefined)
      throw new PreCallError(`credential "${value.credential}" has no field "${value.field}"`);
    headers.set(name, `${value.prefix ?? ''}${field}`);
  }
  return headers;
}

function mapValues(
  vars: Readonly<Record<string, string>>,
  f: (value: string) => string,
): Record<string, string> {
  return Object.fromEntries(Object.entries(vars).map(([k, v]) => [k, f(v)]));
}

/** The innermost readable reason of a fetch failure (an egress refusal is the `cause`). */
function reasonOf(error: unknown): string {
  if (error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError'))
    return 'timed out';
  if (error instanceof Error && error.cause instanceof Error) return error.cause.message;
  return error instanceof Error ? error.message : String(error);
}
