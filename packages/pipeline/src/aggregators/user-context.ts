import type { LLMContext } from '../context/llm-context.ts';
import { type Frame, type FrameType, frame } from '../frames/frames.ts';
import {
  CALLER_AUDIO,
  type Direction,
  FrameProcessor,
  type HandlerResult,
} from '../processors/frame-processor.ts';

/** Options of {@link UserContextAggregator}. */
export interface UserContextAggregatorOptions {
  /**
   * When a turn brings no text and the context ends with a user message that got no answer
   * (the caller's speech interrupted the reply before any of it was heard), run the LLM on the
   * context again so the caller still gets an answer. Default true.
   */
  readonly rerunUnanswered?: boolean;
}

/**
 * Turns the caller's turns into LLM runs: collects the final `transcription`s between
 * `user_started_speaking` and `user_stopped_speaking` into one user message and, when the
 * turn ends, appends it to the context and pushes `llm_context` (once per turn).
 *
 * The turn's end is decided upstream by the `UserTurnProcessor`, where the transcript is known,
 * which emits the turn's transcriptions before its `user_stopped_speaking`: keep only
 * synchronous processors between the two so that order holds.
 *
 * - A turn without text pushes nothing, unless {@link UserContextAggregatorOptions.rerunUnanswered}
 *   applies.
 * - A transcription outside a turn (a pipeline without a turn processor) is a whole turn: it
 *   is appended and the LLM runs at once.
 * - Transcriptions are forwarded downstream too (for observers and later processors).
 */
export class UserContextAggregator extends FrameProcessor {
  private readonly rerunUnanswered: boolean;
  private inTurn = false;
  private text = '';

  constructor(
    readonly context: LLMContext,
    options: UserContextAggregatorOptions = {},
  ) {
    super('UserContextAggregator');
    this.rerunUnanswered = options.rerunUnanswered ?? true;
  }

  protected override get forwardedFrameTypes(): readonly FrameType[] {
    return CALLER_AUDIO;
  }

  protected override processFrame(f: Frame, direction: Direction): HandlerResult {
    switch (f.type) {
      case 'user_started_speaking':
        this.inTurn = true;
        break;
      case 'user_stopped_speaking':
        this.inTurn = false;
        this.endTurn();
        break;
      case 'transcription':
        this.text = this.text ? `${this.text} ${f.text}` : f.text;
        this.push(f, direction);
        if (!this.inTurn) this.endTurn();
        return;
    }
    this.push(f, direction);
  }

  private endTurn(): void {
    const content = this.text;
    this.text = '';
    if (content) this.context.add({ role: 'user', content });
    else if (!this.rerunUnanswered || this.context.messages.at(-1)?.role !== 'user') return;
    this.push(frame('llm_context', { context: this.context }));
  }
}
