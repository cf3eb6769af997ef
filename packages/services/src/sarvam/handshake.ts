/** The part of the SDK's streaming sockets that opening one needs. */
export interface OpeningSocket {
  waitForOpen(): Promise<unknown>;
  close(): void;
}

/**
 * A WebSocket that did not open (internal: each service maps it to its error family).
 * `status` is the HTTP status Sarvam refused the upgrade with; `undefined` when none came
 * (connection refused, timeout).
 */
export class HandshakeError extends Error {
  override readonly name = 'HandshakeError';
  constructor(
    message: string,
    readonly status: number | undefined,
    cause: unknown,
  ) {
    super(message, { cause });
  }
}

/**
 * Wait until `socket` is open, at most `timeoutMs` ms; on failure the socket is closed.
 *
 * @throws `signal.reason` when `signal` aborts first.
 * @throws HandshakeError when the handshake was refused, failed or timed out (the SDK's `ws`
 *   client reports a refusal as `Unexpected server response: <status>`).
 */
export async function waitUntilOpen(
  socket: OpeningSocket,
  signal: AbortSignal,
  timeoutMs: number,
): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  let onAbort = () => {};
  const stop = new Promise<never>((_, reject) => {
    onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    signal.throwIfAborted();
    await Promise.race([socket.waitForOpen(), stop]);
  } catch (e) {
    socket.close();
    if (signal.aborted) throw signal.reason;
    const detail = typeof e === 'object' && e !== null && 'message' in e ? String(e.message) : String(e);
    const status = Number(/Unexpected server response: (\d{3})/.exec(detail)?.[1]) || undefined;
    throw new HandshakeError(detail || 'connection failed', status, e);
  } finally {
    clearTimeout(timer);
    signal.removeEventListener('abort', onAbort);
  }
}
