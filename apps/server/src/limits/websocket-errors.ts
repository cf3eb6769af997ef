/**
 * What happens to an error on an established WebSocket that its handler did not take: a bad
 * frame or a dropped connection is the client's or the network's doing, not ours.
 */
import type { FastifyRequest } from 'fastify';
import type { WebSocket } from 'ws';

/**
 * `@fastify/websocket`'s `errorHandler`: logs at `debug` without a stack (its default logs an
 * error with one; the media streams, our only WebSocket routes, log a warning with their call
 * themselves) and closes the socket unless `ws` is closing it already (after a protocol error
 * it sends the close code, e.g. 1009, itself).
 */
export function onWebSocketError(error: Error, socket: WebSocket, request: FastifyRequest): void {
  request.log.debug(
    { code: (error as NodeJS.ErrnoException).code, url: request.url },
    `WebSocket error: ${error.message}`,
  );
  if (socket.readyState === socket.OPEN || socket.readyState === socket.CONNECTING) socket.terminate();
}
