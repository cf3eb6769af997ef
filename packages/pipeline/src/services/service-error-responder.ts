import type { Frame, FrameType, ServiceKind } from '../frames/frames.ts';
import { frame } from '../frames/frames.ts';
import {
  CALLER_AUDIO,
  type Direction,
  FrameProcessor,
  type HandlerResult,
} from '../processors/frame-processor.ts';

/** What {@link ServiceErrorResponder} says, by the kind of service that failed. */
export const DEFAULT_APOLOGIES: Readonly<Record<ServiceKind, string>> = {
  stt: "Sorry, I didn't catch that. Could you say it again?",
  llm: "Sorry, I'm having trouble answering right now. Could you say that again?",
  tts: "Sorry, I'm having trouble answering right now. Could you say that again?",
};

/** Options of {@link ServiceErrorResponder}. */
export interface ServiceErrorResponderOptions {
  /** The apology per kind of failed service; unset kinds use {@link DEFAULT_APOLOGIES}. */
  readonly apologies?: Partial<Readonly<Record<ServiceKind, string>>>;
  /**
   * After an apology, further failures stay silent until the bot has finished speaking, or for
   * at most this long, ms (so a TTS that cannot say the apology does not loop). Default 10000.
   */
  readonly quietMs?: number;
  /** Processor name. Default `ServiceErrorResponder`. */
  readonly name?: string;
}

/**
 * Tells the caller when an AI service fails, so they are never left talking to silence: on a
 * non-fatal `error` frame travelling upstream with a `service` (an STT, LLM or TTS request that
 * failed or timed out, see `ServiceTimeoutError`), it pushes a short apology downstream as
 * `tts_speak`. The error frame passes on unchanged (the task records it).
 *
 * Place it first after the input transport, where every service's errors pass on their way
 * to the task. Fatal errors end the call instead; failures without a `service` (e.g. a
 * function call's handler, which the LLM is told about) get no apology.
 *
 * @example
 * new PipelineTask([input, new ServiceErrorResponder(), vad, stt, turns, userAgg, llm, sentences, tts, output, assistantAgg]);
 */
export class ServiceErrorResponder extends FrameProcessor {
  private readonly apologies: Readonly<Record<ServiceKind, string>>;
  private readonly quietMs: number;
  /** When the last apology was pushed, while the bot has not finished speaking since. */
  private apologizedAtMs: number | undefined;

  /** @throws RangeError when `quietMs` is negative. */
  constructor(options: ServiceErrorResponderOptions = {}) {
    super(options.name ?? 'ServiceErrorResponder');
    this.apologies = { ...DEFAULT_APOLOGIES, ...options.apologies };
    this.quietMs = options.quietMs ?? 10_000;
    if (!(this.quietMs >= 0)) throw new RangeError('quietMs must be ≥ 0');
  }

  protected override get forwardedFrameTypes(): readonly FrameType[] {
    return CALLER_AUDIO;
  }

  protected override processFrame(f: Frame, direction: Direction): HandlerResult {
    if (direction === 'upstream') {
      if (f.type === 'error' && f.service !== undefined && !f.fatal) this.apologize(f.service);
      else if (f.type === 'bot_stopped_speaking') this.apologizedAtMs = undefined;
    }
    this.push(f, direction);
  }

  private apologize(service: ServiceKind): void {
    const now = this.clock.now();
    if (this.apologizedAtMs !== undefined && now - this.apologizedAtMs < this.quietMs) return;
    this.apologizedAtMs = now;
    this.push(frame('tts_speak', { text: this.apologies[service] }));
  }
}
