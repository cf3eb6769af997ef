import {
  type Direction,
  type Frame,
  FrameProcessor,
  frame,
  type HandlerResult,
  type LLMContext,
} from '@parley/pipeline';

/**
 * The text-mode stand-in for TTS, the output transport and the assistant aggregator: each LLM
 * response (its `llm_text` joined at `llm_response_end`) and each `tts_speak` (a flow's
 * `tts_say`, an `end_conversation` goodbye) is one line the caller "hears": it goes into the
 * context as an assistant message, to `onLine`, and the bot "stops speaking"
 * (`bot_stopped_speaking` upstream, which flow actions waiting for the speech need).
 * `tts_speak` is consumed, as a TTS service would; every other frame is forwarded.
 */
export class TextOutput extends FrameProcessor {
  private text = '';

  constructor(
    private readonly context: LLMContext,
    private readonly onLine: (line: string, kind: 'reply' | 'say') => void,
  ) {
    super('TextOutput');
  }

  protected override processFrame(f: Frame, direction: Direction): HandlerResult {
    if (f.type === 'tts_speak') {
      this.heard(f.text, 'say');
      return;
    }
    this.push(f, direction);
    if (f.type === 'llm_text') this.text += f.text;
    else if (f.type === 'interruption') this.text = '';
    else if (f.type === 'llm_response_end') {
      const reply = this.text.trim();
      this.text = '';
      this.heard(reply, 'reply');
    }
  }

  private heard(line: string, kind: 'reply' | 'say'): void {
    if (line) this.context.add({ role: 'assistant', content: line });
    this.onLine(line, kind);
    this.push(frame('bot_stopped_speaking'), 'upstream');
  }
}
