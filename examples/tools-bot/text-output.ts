import {
  type Direction,
  type Frame,
  FrameProcessor,
  type HandlerResult,
  type LLMContext,
} from '@parley/pipeline';

/**
 * The text-mode stand-in for the output transport and assistant aggregator: joins each LLM
 * response's `llm_text` frames, appends the reply to the context as an assistant message and
 * hands it to `onReply` at `llm_response_end` (an empty string when the LLM said nothing).
 * Every frame is forwarded.
 */
export class TextOutput extends FrameProcessor {
  private text = '';

  constructor(
    private readonly context: LLMContext,
    private readonly onReply: (text: string) => void,
  ) {
    super('TextOutput');
  }

  protected override processFrame(f: Frame, direction: Direction): HandlerResult {
    this.push(f, direction);
    if (f.type === 'llm_text') this.text += f.text;
    else if (f.type === 'interruption') this.text = '';
    else if (f.type === 'llm_response_end') {
      const reply = this.text.trim();
      this.text = '';
      if (reply) this.context.add({ role: 'assistant', content: reply });
      this.onReply(reply);
    }
  }
}
