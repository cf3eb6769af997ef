import { AsyncLocalStorage } from 'node:async_hooks';
import twilio from 'twilio';
import type RequestClient from 'twilio/lib/base/RequestClient.js';

/**
 * The HTTP client twilio-node sends Parley's REST requests through: twilio-node's own
 * `RequestClient` (axios, form encoding, Basic auth), plus what its options lack:
 *
 * - another API origin (twilio-node has no base-URL option: a test points it at a fake server
 *   on 127.0.0.1 by rewriting each request URI's origin, per twilio-node's `ClientOpts.httpClient`);
 * - a per-operation abort signal and a record of the answer's HTTP status, carried from
 *   {@link runTwilioRequest} to the request through `AsyncLocalStorage` (twilio-node's methods
 *   take no signal).
 */

/** What one {@link runTwilioRequest} operation carries to its requests and gets back. */
export interface TwilioRequestContext {
  /** Aborts the operation's HTTP requests (axios `signal`). */
  readonly signal: AbortSignal | undefined;
  /** The HTTP status of the last answer received, once one came. */
  status?: number;
}

const requestContext = new AsyncLocalStorage<TwilioRequestContext>();

/** A twilio-node `RequestClient` with an optional API origin and the operation's abort signal. */
export class TwilioRestHttpClient extends twilio.RequestClient {
  private readonly apiBaseUrl: string | undefined;

  /**
   * @param apiBaseUrl - Replaces `https://api.twilio.com` (or any API origin) in each request
   *   URI, path prefix allowed; `undefined` keeps Twilio's.
   * @param timeoutMs - Longest wait for one answer, ms.
   */
  constructor(apiBaseUrl: string | undefined, timeoutMs: number) {
    super({ timeout: timeoutMs });
    this.apiBaseUrl = apiBaseUrl?.replace(/\/+$/, '');
    this.axios.interceptors.request.use((config) => {
      const signal = requestContext.getStore()?.signal;
      if (signal !== undefined) config.signal = signal;
      return config;
    });
  }

  /** twilio-node's request, sent to the rewritten URI; the answer's status is recorded in the context. */
  override async request<TData>(opts: RequestClient.RequestOptions<TData>) {
    const context = requestContext.getStore();
    const response = await super.request({ ...opts, uri: this.rewrite(opts.uri) });
    if (context !== undefined) context.status = response.statusCode;
    return response;
  }

  private rewrite(uri: string): string {
    if (this.apiBaseUrl === undefined) return uri;
    const url = new URL(uri);
    return `${this.apiBaseUrl}${url.pathname}${url.search}`;
  }
}

/**
 * Runs `operation` (twilio-node calls through a client built on {@link TwilioRestHttpClient})
 * with `context`: its requests take `context.signal` and record their status in it.
 */
export function runTwilioRequest<T>(context: TwilioRequestContext, operation: () => Promise<T>): Promise<T> {
  return requestContext.run(context, operation);
}
