/**
 * Applies the {@link PendingStreamGate} to media-stream upgrades (`GET /ws/*` with
 * `Upgrade: websocket`): an address holding the most streams that have not sent `start` gets
 * 429 instead of a WebSocket.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { sendApiError } from '../routes/errors.ts';
import type { RefusalCounters } from './refusals.ts';
import { PendingStreamGate, type PendingStreamTicket } from './upgrade-gate.ts';

/** The gate on media-stream upgrades, and the places it gave. */
export class PendingStreamGuard {
  private readonly gate: PendingStreamGate;
  private readonly tickets = new WeakMap<object, PendingStreamTicket>();

  /** @param maxPerAddress Pending streams one address may hold. */
  constructor(
    maxPerAddress: number,
    private readonly refusals: RefusalCounters,
  ) {
    this.gate = new PendingStreamGate(maxPerAddress);
  }

  /**
   * Adds the `onRequest` hook to `app`: each media-stream upgrade takes a place (freed when its
   * stream hands it back, see {@link ticketOf}, or at the latest when its socket closes), or is
   * answered 429 `too_many_pending_streams`, logged as a warning and counted. Install it after
   * `@fastify/websocket`, whose `onRequest` hook marks the request as an upgrade so that its
   * `onResponse` hook destroys the socket once we answered.
   */
  install(app: FastifyInstance): void {
    app.addHook('onRequest', async (request, reply) => {
      if (!request.url.startsWith('/ws/') || request.headers.upgrade?.toLowerCase() !== 'websocket') return;
      const ticket = this.gate.tryEnter(request.ip);
      if (!ticket) {
        this.refusals.count('pending_streams_per_ip');
        request.log.warn(
          { ip: request.ip, url: request.url },
          'media stream refused: too many pending from its address',
        );
        return sendApiError(reply, 429, 'too_many_pending_streams', 'Too many media streams without a start');
      }
      this.tickets.set(request.raw, ticket);
      request.raw.socket.once('close', ticket.release);
    });
  }

  /** The place `request` took (release it once the stream sent `start`), if it took one. */
  ticketOf(request: FastifyRequest): PendingStreamTicket | undefined {
    return this.tickets.get(request.raw);
  }

  /** Pending streams held by `address` now. */
  heldBy(address: string): number {
    return this.gate.heldBy(address);
  }
}
