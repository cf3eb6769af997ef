/**
 * A webhook endpoint on 127.0.0.1 for tool tests: keeps every request it receives and answers
 * by path with what the test set (`answer`), else `{"ok":true}`.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A request as the endpoint received it. */
export interface ReceivedRequest {
  readonly method: string;
  /** Path and query, as sent. */
  readonly url: string;
  readonly headers: IncomingMessage['headers'];
  readonly body: string;
}

/** One answer: a status, a body, and a delay before answering. */
export interface WebhookAnswer {
  readonly status?: number;
  readonly body?: string;
  readonly delayMs?: number;
}

/** The fake endpoint. */
export class WebhookServer {
  readonly requests: ReceivedRequest[] = [];
  private readonly answers = new Map<string, WebhookAnswer[]>();

  private constructor(
    private readonly server: Server,
    /** `http://127.0.0.1:PORT` */
    readonly url: string,
  ) {}

  static async start(): Promise<WebhookServer> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const hook = new WebhookServer(server, `http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    server.on('request', (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        hook.requests.push({
          method: req.method ?? '',
          url: req.url ?? '',
          headers: req.headers,
          body: Buffer.concat(chunks).toString(),
        });
        const path = (req.url ?? '').split('?')[0] ?? '';
        const queue = hook.answers.get(path);
        const answer = (queue && queue.length > 1 ? queue.shift() : queue?.[0]) ?? {};
        const send = () => {
          if (res.destroyed) return;
          res.writeHead(answer.status ?? 200, { 'content-type': 'application/json' });
          res.end(answer.body ?? '{"ok":true}');
        };
        if (answer.delayMs) setTimeout(send, answer.delayMs).unref();
        else send();
      });
    });
    return hook;
  }

  /** Answers to requests for `path`, in order; the last one is kept for every later request. */
  answer(path: string, ...answers: WebhookAnswer[]): this {
    this.answers.set(path, answers);
    return this;
  }

  /** Requests received for `path` (query excluded from the match). */
  requestsTo(path: string): ReceivedRequest[] {
    return this.requests.filter((r) => (r.url.split('?')[0] ?? '') === path);
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
