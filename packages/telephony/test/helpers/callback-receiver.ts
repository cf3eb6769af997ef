import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request our (test) webhook server received. */
export interface ReceivedCallback {
  readonly method: string;
  /** The full URL as the sender addressed it, `http://127.0.0.1:<port>/path`. */
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  /** The form body, one value per field. */
  readonly form: Record<string, string>;
}

/**
 * A stand-in for Parley's webhook routes on 127.0.0.1: records every request and answers each
 * with `reply` (default 200, empty text). `url(path)` gives the absolute URL of a path on it.
 */
export class CallbackReceiver {
  readonly received: ReceivedCallback[] = [];
  reply: { status: number; contentType: string; body: string } = {
    status: 200,
    contentType: 'text/plain',
    body: '',
  };

  private constructor(
    private readonly server: Server,
    readonly origin: string,
  ) {}

  static async start(): Promise<CallbackReceiver> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const receiver = new CallbackReceiver(server, `http://127.0.0.1:${port}`);
    server.on('request', async (request, response) => {
      const parts: Buffer[] = [];
      for await (const part of request) parts.push(part as Buffer);
      const form = Object.fromEntries(new URLSearchParams(Buffer.concat(parts).toString('utf8')));
      receiver.received.push({
        method: request.method ?? 'GET',
        url: `${receiver.origin}${request.url ?? '/'}`,
        headers: request.headers,
        form,
      });
      const { status, contentType, body } = receiver.reply;
      response.writeHead(status, { 'content-type': contentType });
      response.end(body);
    });
    return receiver;
  }

  url(path: string): string {
    return `${this.origin}${path}`;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** The origin of a server that was started and closed: connecting to it is refused. */
export async function refusedOrigin(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}
