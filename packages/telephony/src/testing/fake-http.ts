import { randomBytes } from 'node:crypto';
import {
  createServer,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * What the fake provider REST servers share: a node:http server on 127.0.0.1 with a random
 * port, request bodies read as a provider reads them, scripted failures and delays, and the
 * form POSTs a provider sends to our callback URLs.
 */

/** A form-encoded body as the fakes parse it: field → value, a repeated field → its values. */
export type FormBody = Record<string, string | string[]>;

/** One request a fake received, recorded before it is answered. */
export interface FakeApiRequest<TBody> {
  /** HTTP method, upper case. */
  readonly method: string;
  /** Path and query as requested, e.g. `/2010-04-01/Accounts/AC…/Calls.json`. */
  readonly path: string;
  /** Request headers, lower-case names. */
  readonly headers: IncomingHttpHeaders;
  /** The body parsed the way the provider parses it (`undefined` when there was none). */
  readonly body: TBody | undefined;
}

/** What one of our callback URLs answered a fake's POST. */
export interface CallbackResponse {
  /** HTTP status. */
  readonly status: number;
  /** `Content-Type` header, when sent. */
  readonly contentType: string | undefined;
  /** The body text (TwiML / XML for answer webhooks). */
  readonly body: string;
}

/** A scripted answer to the next provider request: an error status, and/or a pause first. */
export interface ScriptedReply {
  /** Answer this HTTP status with the provider's error body instead of handling the request. */
  readonly status?: number;
  /** The provider's error code to put in the body (Twilio `code`, Exotel `RestException.Code`). */
  readonly code?: number;
  /** The error message to put in the body. */
  readonly message?: string;
  /** Wait this long before answering, ms (a request aborted meanwhile gets no answer). */
  readonly delayMs?: number;
}

/** Handles one request; throwing answers 500. */
export type FakeRequestHandler = (request: IncomingMessage, response: ServerResponse) => Promise<void>;

/** A started HTTP server on 127.0.0.1 with a random port. */
export class FakeHttpServer {
  private readonly sockets = new Set<Socket>();
  private readonly closing = new AbortController();

  private constructor(
    private readonly server: Server,
    /** `http://127.0.0.1:<port>`. */
    readonly origin: string,
  ) {}

  /** Listens on a free port of 127.0.0.1 and hands each request to `handle`. */
  static async start(handle: FakeRequestHandler): Promise<FakeHttpServer> {
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    const { port } = server.address() as AddressInfo;
    const fake = new FakeHttpServer(server, `http://127.0.0.1:${port}`);
    server.on('connection', (socket) => {
      fake.sockets.add(socket);
      socket.on('close', () => fake.sockets.delete(socket));
    });
    server.on('request', (request: IncomingMessage, response: ServerResponse) => {
      handle(request, response).catch((error: unknown) => {
        if (fake.closing.signal.aborted) return;
        if (!response.headersSent) sendText(response, 500, error instanceof Error ? error.message : 'error');
        else response.destroy();
      });
    });
    return fake;
  }

  /** Aborted when the server closes: pending delays end with it. */
  get closed(): AbortSignal {
    return this.closing.signal;
  }

  /** Waits `ms` unless the server closes first (then throws). */
  async delay(ms: number): Promise<void> {
    await sleep(ms, undefined, { signal: this.closing.signal });
  }

  /** Stops the server, closing open connections. */
  async close(): Promise<void> {
    this.closing.abort();
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** The whole request body as UTF-8 text. */
export async function readText(request: IncomingMessage): Promise<string> {
  const parts: Buffer[] = [];
  for await (const part of request) parts.push(part as Buffer);
  return Buffer.concat(parts).toString('utf8');
}

/** A form-encoded body, repeated fields gathered into arrays in order. */
export function parseForm(text: string): FormBody {
  const form: FormBody = {};
  for (const [key, value] of new URLSearchParams(text)) {
    const previous = form[key];
    if (previous === undefined) form[key] = value;
    else if (Array.isArray(previous)) previous.push(value);
    else form[key] = [previous, value];
  }
  return form;
}

/** A field of a form as one string: the first value of a repeated field. */
export function formField(form: FormBody | undefined, key: string): string | undefined {
  const value = form?.[key];
  return Array.isArray(value) ? value[0] : value;
}

/** The user and password of a `Basic` `Authorization` header, or `undefined`. */
export function basicCredentials(header: string | undefined): { user: string; password: string } | undefined {
  const match = /^Basic ([A-Za-z0-9+/=]+)$/i.exec(header ?? '');
  if (!match) return undefined;
  const decoded = Buffer.from(match[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon < 0 ? undefined : { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

/** Whether `request` carries `Authorization: Basic` credentials of exactly `user` and `password`. */
export function hasBasicAuth(request: IncomingMessage, user: string, password: string): boolean {
  const credentials = basicCredentials(headerValue(request, 'authorization'));
  return credentials?.user === user && credentials.password === password;
}

/** A single-valued request header, or `undefined`. */
export function headerValue(request: IncomingMessage, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** Answers JSON. */
export function sendJson(response: ServerResponse, status: number, value: unknown): void {
  const json = JSON.stringify(value);
  response.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(json),
  });
  response.end(json);
}

/** Answers plain text (or nothing, for 204). */
export function sendText(response: ServerResponse, status: number, text = ''): void {
  response.writeHead(status, { 'content-type': 'text/plain', 'content-length': Buffer.byteLength(text) });
  response.end(text);
}

/** POSTs a form to one of our callback URLs, as a provider does, and reads the answer. */
export async function postForm(
  url: string,
  form: Readonly<Record<string, string>>,
  headers: Readonly<Record<string, string>> = {},
): Promise<CallbackResponse> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams(form),
    redirect: 'manual',
  });
  return {
    status: response.status,
    contentType: response.headers.get('content-type') ?? undefined,
    body: await response.text(),
  };
}

/** `count` random bytes as lower-case hex. */
export function randomHex(count: number): string {
  return randomBytes(count).toString('hex');
}

/** A date as Twilio and Exotel print it, `Tue, 01 Jan 2030 10:00:00 +0000`. */
export function rfc2822Date(date: Date): string {
  return date.toUTCString().replace('GMT', '+0000');
}

/** A date as Exotel and Vobiz print it, `2030-01-01 10:00:00` (UTC). */
export function sqlDate(date: Date): string {
  return date.toISOString().slice(0, 19).replace('T', ' ');
}
