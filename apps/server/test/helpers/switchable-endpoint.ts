/**
 * A TCP endpoint on 127.0.0.1 in front of a test server that a test can switch between
 * forwarding to it, accepting connections and never answering (`hang`), and refusing them
 * (nothing listens on the port).
 */
import net from 'node:net';

export class SwitchableEndpoint {
  private server: net.Server | undefined;
  private mode: 'forward' | 'hang' = 'forward';
  private readonly sockets = new Set<net.Socket>();

  private constructor(
    private readonly targetPort: number,
    readonly port: number,
  ) {}

  /** Listens on a free loopback port, forwarding to `targetPort`. */
  static async start(targetPort: number): Promise<SwitchableEndpoint> {
    const probe = net.createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const port = (probe.address() as net.AddressInfo).port;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    const endpoint = new SwitchableEndpoint(targetPort, port);
    await endpoint.listen();
    return endpoint;
  }

  /** `http://127.0.0.1:PORT<path>` */
  url(path = '/v1'): string {
    return `http://127.0.0.1:${this.port}${path}`;
  }

  /** Forward new connections to the target. */
  async forward(): Promise<void> {
    this.mode = 'forward';
    await this.listen();
  }

  /** Accept new connections and never answer them. */
  async hang(): Promise<void> {
    this.mode = 'hang';
    await this.listen();
  }

  /** Stop listening: new connections are refused (ECONNREFUSED); open ones are dropped. */
  async refuse(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const s of this.sockets) s.destroy();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  close(): Promise<void> {
    return this.refuse();
  }

  private async listen(): Promise<void> {
    if (this.server) return;
    const server = net.createServer((socket) => this.accept(socket));
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
  }

  private accept(socket: net.Socket): void {
    this.track(socket);
    socket.on('error', () => {});
    if (this.mode === 'hang') {
      socket.resume(); // read and ignore the request
      return;
    }
    const upstream = net.connect(this.targetPort, '127.0.0.1');
    this.track(upstream);
    upstream.on('error', () => socket.destroy());
    socket.pipe(upstream).pipe(socket);
  }

  private track(socket: net.Socket): void {
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
  }
}
