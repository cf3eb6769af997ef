import type { Frame, ServiceKind } from '../../frames/frames.ts';
import type { Direction, FrameProcessor } from '../../processors/frame-processor.ts';
import type { MetricLabels } from '../metrics.ts';
import { FailoverChain, type FailoverOptions } from './failover-chain.ts';
import { ChainMember } from './member.ts';

/** A service a {@link ServiceChain} can hold: a processor that labels its metrics. */
type ChainedService = FrameProcessor & { metricLabels(): MetricLabels };

/**
 * The members of a failover service that sends each request to one member (LLM, TTS) and their
 * {@link FailoverChain}: `service_switched` frames go out of `owner` both ways, members' own
 * frames pass through `owner`, and a member's fatal error takes it out of the chain for the
 * call (unless it is the last one).
 */
export class ServiceChain<S extends ChainedService> {
  private readonly members: readonly ChainMember<S>[];
  readonly chain: FailoverChain;
  /** The member of the request in flight (or of the last one). */
  private serving: number | undefined;

  /**
   * @param owner The failover service: pushes the members' frames; `now` is its clock, ms.
   * @throws RangeError for an empty chain or bad cool-downs.
   */
  constructor(
    kind: ServiceKind,
    services: readonly S[],
    options: FailoverOptions,
    private readonly owner: { push(f: Frame, direction?: Direction): void; now(): number },
  ) {
    this.chain = new FailoverChain(
      kind,
      services.map((s) => s.name),
      options,
      (f) => {
        owner.push(f);
        owner.push(f, 'upstream');
      },
      () => owner.now(),
    );
    this.members = services.map((s, i) => new ChainMember(s, (f, d) => this.relay(i, f, d)));
  }

  /** Member `i`, in chain order. */
  member(i: number): ChainMember<S> {
    return this.members[i]!;
  }

  /** Select member `i` for the request in flight (pushing a switch frame when it changes) and return it. */
  use(i: number): ChainMember<S> {
    this.chain.select(i);
    this.serving = i;
    return this.members[i]!;
  }

  /** The labels of the member serving the request in flight, else of the one the next request tries first. */
  labels(): MetricLabels {
    const i = this.serving ?? this.chain.order()[0];
    return i === undefined ? {} : this.members[i]!.service.metricLabels();
  }

  /** Stop every member. They hold no work of their own (requests run in the owner's handlers): `end` is enough. */
  async stop(): Promise<void> {
    await Promise.all(this.members.map((m) => m.stop('end')));
  }

  /** A member's own frames: a fatal error takes it out of the chain for the call; the rest pass on. */
  private relay(i: number, f: Frame, direction: Direction): void {
    if (f.type === 'error' && f.fatal && this.chain.order().length > 1) {
      this.chain.kill(i, f.cause ?? new Error(f.message));
      return;
    }
    this.owner.push(f, direction);
  }
}
