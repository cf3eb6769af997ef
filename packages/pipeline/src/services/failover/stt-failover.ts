import type { Frame, StartFrame } from '../../frames/frames.ts';
import type { Direction, HandlerResult, StopReason } from '../../processors/frame-processor.ts';
import { STTService } from '../stt-service.ts';
import { FailoverChain, type FailoverOptions } from './failover-chain.ts';
import { ChainMember } from './member.ts';

/**
 * A member of a {@link FailoverSTTService}: a service, or a function that makes a fresh one.
 * A stream that failed (or was left) cannot be reopened on the same instance (a processor starts
 * once), so only a factory lets the chain come back to that entry later.
 */
export type STTServiceSource = STTService | (() => STTService);

/** Options of {@link FailoverSTTService}. */
export interface FailoverSTTServiceOptions extends FailoverOptions {
  /**
   * Caller audio kept since the last final transcript, to replay to the next service when the
   * active one fails, ms (older audio is dropped first). Default 10000.
   */
  readonly replayBufferMs?: number;
}

/** The frames an STT engine needs again after a switch: the audio and the speech edges. */
const REPLAYED = new Set<Frame['type']>([
  'input_audio',
  'vad_user_started_speaking',
  'vad_user_stopped_speaking',
  'user_started_speaking',
  'user_stopped_speaking',
]);

interface Entry {
  readonly make: (() => STTService) | undefined;
  /** The entry's current instance; replaced (through `make`) once it was used. */
  member: ChainMember<STTService>;
}

/**
 * A streaming STT service made of an ordered chain of STT services (the first preferred), e.g.
 * Deepgram → OpenAI → local. It is an `STTService`: it takes the place of one in the pipeline.
 * One member streams at a time; this service hands it every frame that comes downstream and
 * passes on the transcripts, metrics and errors it makes.
 * - At the start, a member that cannot open its stream (other than by a configuration error,
 *   see {@link FailoverOptions.failOverOn}) is skipped for the next.
 * - When the active member reports a fatal error (its stream is lost for good), the next member
 *   is started and given again the caller's audio since the last final transcript (kept up to
 *   `replayBufferMs`), with the speech edges, so the caller's utterance is not lost. Only when
 *   no member is left does the fatal error pass on (and end the call).
 * - A failed member cools down (`cooldownMs`, doubling per consecutive failure up to
 *   `maxCooldownMs`); after a final transcript, when a member earlier in the chain is back, it
 *   is started alongside and, once its stream is open, takes over (with the audio since that
 *   transcript). Coming back needs a factory ({@link STTServiceSource}).
 * Every change of member is pushed downstream and upstream as a `service_switched` frame. Members
 * are started with the pipeline's start frame and never linked: each reports its own usage
 * (`audio_seconds`, `ttfb`) under its own name and labels, also after it was left.
 *
 * @example
 * const stt = new FailoverSTTService([() => new DeepgramSTTService(), () => new LocalSTTService()]);
 */
export class FailoverSTTService extends STTService {
  private readonly entries: Entry[];
  private readonly chain: FailoverChain;
  private readonly replayBufferMs: number;
  private maxReplaySamples = 0;
  private startFrame: StartFrame | undefined;
  private stopReason: StopReason = 'end';
  private active: number | undefined;
  /** A member earlier in the chain whose stream is opening, to take over when it is open. */
  private standby: { readonly index: number; readonly member: ChainMember<STTService> } | undefined;
  /** Members that failed since the last final transcript: not tried again for this utterance. */
  private readonly tried = new Set<number>();
  private replay: Frame[] = [];
  private replaySamples = 0;

  /**
   * @param services The chain, preferred first: services or factories of fresh ones.
   * @throws RangeError for an empty chain, bad cool-downs or a negative `replayBufferMs`.
   */
  constructor(services: readonly STTServiceSource[], options: FailoverSTTServiceOptions = {}) {
    super(options.name ?? 'FailoverSTTService');
    this.replayBufferMs = options.replayBufferMs ?? 10_000;
    if (!(this.replayBufferMs >= 0)) throw new RangeError('replayBufferMs must be ≥ 0');
    this.entries = services.map((source) => {
      const make = typeof source === 'function' ? source : undefined;
      return { make, member: this.memberOf(make ? make() : (source as STTService)) };
    });
    this.chain = new FailoverChain(
      'stt',
      this.entries.map((e) => e.member.service.name),
      options,
      (f) => {
        this.push(f);
        this.push(f, 'upstream');
      },
      () => this.clock.now(),
    );
  }

  protected override onStart(f: StartFrame): HandlerResult {
    this.startFrame = f;
    this.maxReplaySamples = (this.replayBufferMs * f.audio.inputSampleRateHz) / 1000;
    return super.onStart(f);
  }

  protected override onStop(reason: StopReason): HandlerResult {
    this.stopReason = reason;
    return super.onStop(reason);
  }

  /**
   * Opens the first member that can open its stream; a cancel (`signal`) stops the one opening.
   * @throws the last one's error when none can.
   */
  protected override async connect(_sampleRateHz: number, signal: AbortSignal): Promise<void> {
    let lastError: unknown;
    for (const i of this.chain.order()) {
      const member = this.freshMember(i);
      if (!member) continue;
      this.chain.select(i);
      const cancel = () => void member.stop('cancel');
      signal.addEventListener('abort', cancel, { once: true });
      try {
        await member.start(this.startFrame!);
        this.active = i;
        return;
      } catch (e) {
        cancel();
        if (signal.aborted || !this.chain.shouldFailOver(e)) throw e;
        this.chain.failed(i, e);
        lastError = e;
      } finally {
        signal.removeEventListener('abort', cancel);
      }
    }
    throw lastError;
  }

  /** Unused: {@link processFrame} hands the members whole frames. */
  protected override sendAudio(): void {}

  protected override async disconnect(): Promise<void> {
    const members = [this.standby?.member, this.activeMember].filter((m) => m !== undefined);
    this.standby = undefined;
    this.active = undefined;
    await Promise.all(members.map((m) => m.stop(this.stopReason)));
  }

  protected override processFrame(f: Frame, direction: Direction): HandlerResult {
    if (direction === 'downstream') {
      this.keepForReplay(f);
      this.activeMember?.send(f);
    }
    this.push(f, direction);
  }

  private get activeMember(): ChainMember<STTService> | undefined {
    return this.active === undefined ? undefined : this.entries[this.active]!.member;
  }

  private memberOf(service: STTService): ChainMember<STTService> {
    const member: ChainMember<STTService> = new ChainMember(service, (f, d) => this.relay(member, f, d));
    return member;
  }

  /** Entry `i`'s member ready to start: a fresh one when the last was used; none when it cannot be made. */
  private freshMember(i: number): ChainMember<STTService> | undefined {
    const entry = this.entries[i]!;
    if (!entry.member.used) return entry.member;
    if (!entry.make) return undefined;
    entry.member = this.memberOf(entry.make());
    return entry.member;
  }

  private keepForReplay(f: Frame): void {
    if (!REPLAYED.has(f.type)) return;
    this.replay.push(f);
    if (f.type !== 'input_audio') return;
    this.replaySamples += f.audio.length;
    while (this.replaySamples > this.maxReplaySamples && this.replay.length > 0) {
      const old = this.replay.shift()!;
      if (old.type === 'input_audio') this.replaySamples -= old.audio.length;
    }
  }

  /** What a member makes: only the active member's results count; every member's usage does. */
  private relay(member: ChainMember<STTService>, f: Frame, direction: Direction): void {
    if (f.type === 'metrics') {
      this.push(f, direction);
      return;
    }
    if (member !== this.activeMember) return;
    if (f.type === 'error' && f.fatal && this.chain.shouldFailOver(f.cause)) {
      this.failOver(f.cause ?? new Error(f.message), f);
      return;
    }
    this.push(f, direction);
    if (f.type === 'transcription') this.onFinalTranscript();
  }

  /** The active member failed for good: the next one gets the caller's audio since the last final transcript. */
  private failOver(error: unknown, fatal: Frame): void {
    const failed = this.active!;
    this.chain.failed(failed, error);
    this.tried.add(failed);
    void this.entries[failed]!.member.stop('cancel');
    this.active = undefined;
    for (const i of this.chain.order()) {
      if (this.tried.has(i) || i === this.standby?.index) continue;
      const member = this.freshMember(i);
      if (!member) continue;
      this.chain.select(i);
      this.active = i;
      member.start(this.startFrame!).catch((e: unknown) => {
        if (this.activeMember !== member) return;
        // Its stream did not open: on to the next, with the same audio.
        if (this.chain.shouldFailOver(e)) this.failOver(e, fatal);
        else this.pushError(e, true);
      });
      for (const r of this.replay) member.send(r); // queued until its stream is open
      return;
    }
    this.push(fatal, 'upstream'); // no member left: the call can no longer hear
  }

  private onFinalTranscript(): void {
    this.replay = [];
    this.replaySamples = 0;
    this.tried.clear();
    const active = this.active!;
    this.chain.succeeded(active);
    // Back to a member earlier in the chain whose cool-down has passed.
    const preferred = this.chain.order()[0];
    if (this.standby || preferred === undefined || preferred >= active || !this.chain.isHealthy(preferred))
      return;
    const member = this.freshMember(preferred);
    if (!member) return;
    this.standby = { index: preferred, member };
    member.start(this.startFrame!).then(
      () => {
        if (this.standby?.member !== member) return; // stopped meanwhile
        this.standby = undefined;
        const left = this.activeMember;
        this.chain.select(preferred);
        this.active = preferred;
        for (const r of this.replay) member.send(r);
        void left?.stop('cancel');
      },
      (e: unknown) => {
        if (this.standby?.member !== member) return;
        this.standby = undefined;
        this.chain.failed(preferred, e);
        void member.stop('cancel');
      },
    );
  }
}
