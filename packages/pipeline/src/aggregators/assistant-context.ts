import type { LLMContext } from '../context/llm-context.ts';
import type { Frame, FrameType } from '../frames/frames.ts';
import {
  CALLER_AUDIO,
  type Direction,
  FrameProcessor,
  type HandlerResult,
} from '../processors/frame-processor.ts';

/**
 * Records what the caller actually heard of the bot. Placed after the output transport, it
 * collects `spoken_text` and appends one assistant message per bot turn when the bot stops
 * speaking; after an interruption the message holds only the words played and is marked
 * `interrupted`.
 */
export class AssistantContextAggregator extends FrameProcessor {
  private parts: string[] = [];
  private interrupted = false;

  constructor(readonly context: LLMContext) {
    super('AssistantContextAggregator');
  }

  protected override get forwardedFrameTypes(): readonly FrameType[] {
    return CALLER_AUDIO;
  }

  protected override processFrame(f: Frame, direction: Direction): HandlerResult {
    switch (f.type) {
      case 'spoken_text':
        this.parts.push(f.text);
        if (f.partial) this.interrupted = true;
        break;
      case 'interruption':
        this.interrupted = true;
        this.commit();
        break;
      case 'bot_stopped_speaking':
        this.commit();
        break;
    }
    this.push(f, direction);
  }

  protected override onStop(): HandlerResult {
    this.commit();
  }

  private commit(): void {
    if (this.parts.length === 0) {
      this.interrupted = false;
      return;
    }
    const content = this.parts.join(' ');
    this.context.add(
      this.interrupted ? { role: 'assistant', content, interrupted: true } : { role: 'assistant', content },
    );
    this.parts = [];
    this.interrupted = false;
  }
}
