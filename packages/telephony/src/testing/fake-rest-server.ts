import type { IncomingMessage, ServerResponse } from 'node:http';
import { type FakeApiRequest, FakeHttpServer, readText, type ScriptedReply } from './fake-http.ts';

/**
 * The request cycle every fake provider REST API shares, as a base class: it listens on a free
 * port of 127.0.0.1, reads each body the provider's way and records the request, checks the
 * provider's credentials, plays any scripted reply (a delay, then an error status), and only
 * then hands the request to the subclass's routes. It also keeps the calls the fake created.
 *
 * @typeParam TBody - A request body as the provider parses it (form or JSON).
 * @typeParam TCall - A call the fake created, keyed by the provider's call id.
 */
export abstract class FakeRestServer<TBody, TCall> {
  /** Every request received, oldest first (recorded before the auth check). */
  readonly requests: FakeApiRequest<TBody>[] = [];
  /** The calls created, by the provider's call id (SID or UUID). */
  protected readonly calls = new Map<string, TCall>();
  private readonly script: ScriptedReply[] = [];
  private http: FakeHttpServer | undefined;

  /** @param name - How errors name the fake, e.g. `fake Twilio`. */
  protected constructor(private readonly name: string) {}

  /**
   * Scripts the answers to the next requests, in order (after the auth check): an error status
   * with the provider's error body, and/or a delay first.
   */
  reply(...replies: ScriptedReply[]): this {
    this.script.push(...replies);
    return this;
  }

  /** The call with this id (the provider's call SID or UUID), or `undefined`. */
  call(id: string): TCall | undefined {
    return this.calls.get(id);
  }

  /** Stops the fake, closing open connections. */
  async close(): Promise<void> {
    await this.http?.close();
  }

  /**
   * The API base URL to give the provider's call control as `apiBaseUrl`: by default the
   * origin, `http://127.0.0.1:<port>`.
   */
  get url(): string {
    return this.origin;
  }

  /** Starts listening on a free port of 127.0.0.1; a subclass's `start` calls it once. */
  protected async listen(): Promise<this> {
    this.http = await FakeHttpServer.start((request, response) => this.handle(request, response));
    return this;
  }

  /**
   * `http://127.0.0.1:<port>`.
   *
   * @throws Error before {@link listen}.
   */
  protected get origin(): string {
    if (this.http === undefined) throw new Error(`${this.name}: not started`);
    return this.http.origin;
  }

  /**
   * The call with this id.
   *
   * @throws Error when the fake has no such call.
   */
  protected known(id: string): TCall {
    const call = this.calls.get(id);
    if (call === undefined) throw new Error(`${this.name}: no call ${id}`);
    return call;
  }

  /** A request body (never empty) as the provider parses it; `undefined` when unreadable. */
  protected abstract parseBody(text: string): TBody | undefined;

  /** Whether the request carries the credentials the fake accepts. */
  protected abstract authorized(request: IncomingMessage): boolean;

  /** Answers 401 with the provider's error body. */
  protected abstract sendUnauthorized(response: ServerResponse): void;

  /** Answers a scripted error `status` with the provider's error body. */
  protected abstract sendScripted(response: ServerResponse, status: number, reply: ScriptedReply): void;

  /** Answers a request that passed the auth check and the script; `pathname` is without query. */
  protected abstract route(
    request: IncomingMessage,
    response: ServerResponse,
    pathname: string,
    body: TBody | undefined,
  ): void;

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const text = await readText(request);
    const body = text === '' ? undefined : this.parseBody(text);
    const path = request.url ?? '/';
    this.requests.push({ method: request.method ?? 'GET', path, headers: request.headers, body });
    if (!this.authorized(request)) {
      this.sendUnauthorized(response);
      return;
    }
    const scripted = this.script.shift();
    if (scripted?.delayMs !== undefined) await this.http?.delay(scripted.delayMs);
    if (scripted?.status !== undefined) {
      this.sendScripted(response, scripted.status, scripted);
      return;
    }
    this.route(request, response, new URL(path, 'http://fake').pathname, body);
  }
}
