/**
 * A per-address cap on media-stream WebSockets that have not announced their call yet (no
 * `start`): each costs a socket and a timer until it does or times out, so one address cannot
 * hold many open at once. Providers send `start` within milliseconds of the upgrade, so the cap
 * only binds on clients that are not providers.
 */

/** A place held by one pending stream; releasing it twice is harmless. */
export interface PendingStreamTicket {
  /** Frees the place: the stream sent its `start`, or closed. */
  release(): void;
}

/** Counts pending media streams by remote address. Throws nothing. */
export class PendingStreamGate {
  private readonly pending = new Map<string, number>();

  /** @param maxPerAddress Pending streams one address may hold, ≥ 1. */
  constructor(private readonly maxPerAddress: number) {}

  /** A place for a stream from `address`, or `undefined` when the address holds the most already. */
  tryEnter(address: string): PendingStreamTicket | undefined {
    const held = this.pending.get(address) ?? 0;
    if (held >= this.maxPerAddress) return undefined;
    this.pending.set(address, held + 1);
    let released = false;
    return {
      release: () => {
        if (released) return;
        released = true;
        const left = (this.pending.get(address) ?? 1) - 1;
        if (left > 0) this.pending.set(address, left);
        else this.pending.delete(address);
      },
    };
  }

  /** Pending streams held by `address` now. */
  heldBy(address: string): number {
    return this.pending.get(address) ?? 0;
  }
}
