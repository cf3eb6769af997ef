import {
  createServer as createHttpServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { type WebSocket, WebSocketServer } from 'ws';

/** What a fake does with the traffic of its {@link LoopbackServer}. */
export interface LoopbackHandlers {
  /** An HTTP request (default: 404 with an empty body). */
  readonly request?: (req: IncomingMessage, res: ServerResponse) => void;
  /** A WebSocket handshake: answer it with {@link LoopbackServer.accept} or {@link refuseHandshake}. */
  readonly upgrade?: (req: IncomingMessage, socket: Socket, head: Buffer) => void;
  /** A TCP (with TLS: TLS-established) connection was accepted. */
  readonly connection?: (socket: Socket) => void;
  /** Serve HTTPS and `wss://` with this PEM key and certificate instead of plain HTTP. */
  readonly tls?: { readonly key: string; readonly cert: string };
}

/**
 * The plumbing every loopback fake shares: an HTTP(S) server on 127.0.0.1 on a free port, the
 * open sockets it tracks (so {@link close} never waits for a client), and WebSocket upgrades
 * through a `ws` server in `noServer` mode. The vendor protocol stays in each fake.
 */
export class LoopbackServer {
  private readonly sockets = new Set<Socket>();
  private wss: WebSocketServer | undefined;

  private constructor(
    private readonly server: Server,
    /** The port the server listens on. */
    readonly port: number,
  ) {}

  /** Start listening on 127.0.0.1 on a free port. */
  static async start(handlers: LoopbackHandlers = {}): Promise<LoopbackServer> {
    const onRequest = handlers.request ?? ((_req, res) => res.writeHead(404).end());
    const server = handlers.tls
      ? createHttpsServer({ key: handlers.tls.key, cert: handlers.tls.cert }, onRequest)
      : createHttpServer(onRequest);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    const loop = new LoopbackServer(server, (server.address() as AddressInfo).port);
    // Behind TLS, the socket an upgrade and a destroy see is the TLS one.
    server.on(handlers.tls ? 'secureConnection' : 'connection', (s: Socket) => {
      handlers.connection?.(s);
      loop.sockets.add(s);
      s.on('close', () => loop.sockets.delete(s));
    });
    const { upgrade } = handlers;
    if (upgrade) server.on('upgrade', (req, socket: Socket, head: Buffer) => upgrade(req, socket, head));
    return loop;
  }

  /** `<scheme>://127.0.0.1:<port><path>`, e.g. `url('ws')` or `url('http', '/v1')`. */
  url(scheme: 'http' | 'https' | 'ws' | 'wss', path = ''): string {
    return `${scheme}://127.0.0.1:${this.port}${path}`;
  }

  /** Complete a WebSocket handshake; `open` gets the socket at once (before any message). */
  accept(req: IncomingMessage, socket: Socket, head: Buffer, open: (ws: WebSocket) => void): void {
    this.wss ??= new WebSocketServer({ noServer: true });
    this.wss.handleUpgrade(req, socket, head, open);
  }

  /** Terminate every WebSocket, destroy every socket and stop listening. */
  async close(): Promise<void> {
    for (const ws of this.wss?.clients ?? []) ws.terminate();
    for (const s of this.sockets) s.destroy();
    this.wss?.close();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** Refuse a WebSocket handshake: an HTTP `status` response with a JSON `body`, then close. */
export function refuseHandshake(socket: Socket, status: number, body: unknown): void {
  const json = JSON.stringify(body);
  socket.end(
    `HTTP/1.1 ${status} Refused\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(json)}\r\nConnection: close\r\n\r\n${json}`,
  );
}

/**
 * Resolves once `test` holds, polling every 10 ms.
 * @throws Error `<owner>: timed out waiting for <what>` after `timeoutMs`
 */
export async function pollUntil(
  test: () => boolean,
  timeoutMs: number,
  what: string,
  owner: string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!test()) {
    if (Date.now() > deadline) throw new Error(`${owner}: timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
