import { createSecureContext, type SecureContext } from 'node:tls';
import type { WebsocketClientEvent, WebsocketResponse } from '@cartesia/cartesia-js/resources/tts.js';
import { TTSRequestError } from '../errors.ts';
import { handshakeError } from './errors.ts';
import { cartesiaSdk, type TTSWS } from './sdk.ts';

/** TLS contexts by CA bundle: parsing a bundle of Node's ~150 roots costs ~25 ms of CPU, once. */
const secureContexts = new Map<string, SecureContext>();

function secureContextFor(ca: string): SecureContext {
  let context = secureContexts.get(ca);
  if (!context) {
    context = createSecureContext({ ca });
    secureContexts.set(ca, context);
  }
  return context;
}

/** `WebSocket.OPEN`, the ready state of a socket that can send. */
const OPEN = 1;

/** Where and how {@link CartesiaConnection.open} connects. */
export interface CartesiaConnectionOptions {
  readonly apiKey: string;
  /** The SDK's `baseURL`; the socket goes to `wss://<its host>/tts/websocket` (the SDK forces `wss`). */
  readonly baseUrl: string;
  /** Trusted CA certificates (PEM) instead of Node's (see `CartesiaTTSServiceOptions.ca`); one TLS context per bundle. */
  readonly ca: string | undefined;
  readonly handshakeTimeoutMs: number;
}

/**
 * One Cartesia TTS WebSocket (https://docs.cartesia.ai/api-reference/tts/websocket) over the
 * SDK's `TTSWS`: it routes server messages to a listener per `context_id`, sends client
 * messages only while open (the SDK would otherwise reopen a closed socket silently, losing
 * its contexts), and reports the close once.
 */
export class CartesiaConnection {
  private readonly listeners = new Map<string, (m: WebsocketResponse) => void>();
  private readonly closeListeners = new Set<() => void>();
  private closed = false;

  private constructor(private readonly ws: TTSWS) {
    ws.on('event', (m) => {
      if (m.context_id) this.listeners.get(m.context_id)?.(m);
    });
    ws.socket.addEventListener('close', () => {
      this.closed = true;
      for (const listener of this.closeListeners) listener();
      this.closeListeners.clear();
      this.listeners.clear();
    });
  }

  /**
   * Opens a socket and waits for the handshake.
   * @throws TTSConfigurationError when Cartesia refuses the key (HTTP 401/403)
   * @throws TTSRequestError when it cannot connect (refused, 429, 5xx, handshake timeout)
   * @throws `signal.reason` when `signal` aborts first
   */
  static async open(options: CartesiaConnectionOptions, signal: AbortSignal): Promise<CartesiaConnection> {
    signal.throwIfAborted();
    const sdk = cartesiaSdk();
    const client = new sdk.Cartesia({ apiKey: options.apiKey, baseURL: options.baseUrl, maxRetries: 0 });
    const ws = new sdk.TTSWS(client, {
      handshakeTimeout: options.handshakeTimeoutMs,
      ...(options.ca ? { secureContext: secureContextFor(options.ca) } : {}),
    });
    // Failures reach us through `connect()`'s rejection and the socket's `close`; without a
    // listener the SDK would also raise them as unhandled rejections.
    ws.on('error', () => {});
    const abort = () => ws.close();
    signal.addEventListener('abort', abort, { once: true });
    try {
      await ws.connect();
    } catch (e) {
      if (signal.aborted) throw signal.reason;
      throw handshakeError(e);
    } finally {
      signal.removeEventListener('abort', abort);
    }
    if (signal.aborted) {
      ws.close();
      throw signal.reason;
    }
    return new CartesiaConnection(ws);
  }

  /** True until the socket closed (either side) or dropped. */
  get isOpen(): boolean {
    return !this.closed && this.ws.socket.readyState === OPEN;
  }

  /**
   * Sends one client message (a generation request or a cancel).
   * @throws TTSRequestError when the socket is no longer open
   */
  async send(message: WebsocketClientEvent): Promise<void> {
    if (!this.isOpen) throw new TTSRequestError('the Cartesia connection is closed');
    await this.ws.send(message);
  }

  /** Delivers the server messages of `contextId` to `listener` until the returned function is called. */
  subscribe(contextId: string, listener: (m: WebsocketResponse) => void): () => void {
    this.listeners.set(contextId, listener);
    return () => {
      if (this.listeners.get(contextId) === listener) this.listeners.delete(contextId);
    };
  }

  /** Calls `listener` once when the socket closes; at once if it already has. Returns an unsubscribe function. */
  onClose(listener: () => void): () => void {
    if (this.closed) {
      listener();
      return () => {};
    }
    this.closeListeners.add(listener);
    return () => this.closeListeners.delete(listener);
  }

  /** Closes the socket (code 1000). */
  close(): void {
    if (!this.closed) this.ws.close();
  }
}
