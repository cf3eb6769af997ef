/**
 * A reader of `GET /api/live` for tests: opens the server-sent event stream with the given
 * headers and keeps each `data:` message, parsed.
 */
import { expect } from 'vitest';
import type { LiveStreamMessage } from '../../src/routes/api-live.ts';

/** An open live stream. */
export interface LiveStreamReader {
  readonly status: number;
  readonly contentType: string | null;
  /** Every message received so far, in order. */
  readonly messages: LiveStreamMessage[];
  /** Resolves once a received message satisfies `predicate` (polled), with that message. */
  waitFor<T extends LiveStreamMessage>(
    predicate: (m: LiveStreamMessage) => m is T,
    timeoutMs?: number,
  ): Promise<T>;
  waitFor(predicate: (m: LiveStreamMessage) => boolean, timeoutMs?: number): Promise<LiveStreamMessage>;
  /** Whether the server ended the stream. */
  readonly ended: boolean;
  /** Disconnects (aborts the request). */
  close(): void;
}

/** Opens `GET /api/live` on `baseUrl` with `headers`; resolves once the response headers came. */
export async function openLiveStream(
  baseUrl: string,
  headers: Record<string, string>,
): Promise<LiveStreamReader> {
  const abort = new AbortController();
  const res = await fetch(`${baseUrl}/api/live`, {
    headers: { accept: 'text/event-stream', ...headers },
    signal: abort.signal,
  });
  const messages: LiveStreamMessage[] = [];
  let ended = false;
  if (res.ok && res.body) {
    const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
    void (async () => {
      let buffer = '';
      try {
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          buffer += value;
          let cut = buffer.indexOf('\n\n');
          while (cut >= 0) {
            const block = buffer.slice(0, cut);
            buffer = buffer.slice(cut + 2);
            for (const line of block.split('\n')) {
              if (line.startsWith('data: ')) messages.push(JSON.parse(line.slice(6)) as LiveStreamMessage);
            }
            cut = buffer.indexOf('\n\n');
          }
        }
      } catch {
        // aborted by close()
      } finally {
        ended = true;
      }
    })();
  } else {
    await res.text();
  }
  return {
    status: res.status,
    contentType: res.headers.get('content-type'),
    messages,
    get ended() {
      return ended;
    },
    async waitFor(predicate: (m: LiveStreamMessage) => boolean, timeoutMs = 30_000) {
      let found: LiveStreamMessage | undefined;
      await expect
        .poll(
          () => {
            found = messages.find(predicate);
            return found !== undefined;
          },
          { timeout: timeoutMs, interval: 50 },
        )
        .toBe(true);
      return found!;
    },
    close: () => abort.abort(),
  } as LiveStreamReader;
}
