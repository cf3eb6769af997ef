import type WebSocket from 'ws';

/**
 * Waits for a client `ws` to open, then ignores its later errors (each ends in a `close`,
 * which the callers watch).
 *
 * @throws The socket's error, or Error `upgrade refused: HTTP <status>` when the server
 *   answers the upgrade with another status.
 */
export async function websocketOpen(ws: WebSocket): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
    ws.once('unexpected-response', (_req, res) =>
      reject(new Error(`upgrade refused: HTTP ${res.statusCode}`)),
    );
  });
  ws.on('error', () => {});
}
