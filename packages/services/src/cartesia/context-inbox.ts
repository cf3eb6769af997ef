import type { WebsocketResponse } from '@cartesia/cartesia-js/resources/tts.js';
import type { CartesiaConnection } from './connection.ts';

/** What {@link ContextInbox.next} gives: a server message, or why none will come. */
export type InboxItem = WebsocketResponse | 'closed' | 'aborted';

/**
 * The server messages of one Cartesia context, awaited one at a time. Ends with `'closed'`
 * when the socket closes and with `'aborted'` when `signal` aborts, whichever comes first
 * once the messages already received were read (`'aborted'` is returned at once).
 */
export class ContextInbox {
  private readonly items: WebsocketResponse[] = [];
  private wake: (() => void) | undefined;
  private closed = false;
  private readonly unsubscribe: () => void;
  private readonly unwatchClose: () => void;
  private readonly onAbort = () => this.wake?.();

  constructor(
    connection: CartesiaConnection,
    contextId: string,
    private readonly signal: AbortSignal,
  ) {
    this.unsubscribe = connection.subscribe(contextId, (m) => {
      this.items.push(m);
      this.wake?.();
    });
    this.unwatchClose = connection.onClose(() => {
      this.closed = true;
      this.wake?.();
    });
    signal.addEventListener('abort', this.onAbort);
  }

  /** The next message of the context, `'aborted'` or `'closed'`. */
  async next(): Promise<InboxItem> {
    for (;;) {
      if (this.signal.aborted) return 'aborted';
      const item = this.items.shift();
      if (item) return item;
      if (this.closed) return 'closed';
      await new Promise<void>((resolve) => {
        this.wake = resolve;
      });
      this.wake = undefined;
    }
  }

  /** Stops listening; later messages of the context are dropped. */
  dispose(): void {
    this.unsubscribe();
    this.unwatchClose();
    this.signal.removeEventListener('abort', this.onAbort);
  }
}
