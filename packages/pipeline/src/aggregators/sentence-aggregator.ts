import { type Frame, type FrameType, frame } from '../frames/frames.ts';
import {
  CALLER_AUDIO,
  type Direction,
  FrameProcessor,
  type HandlerResult,
} from '../processors/frame-processor.ts';
import { nextSentenceEnd } from './sentence-boundary.ts';

/**
 * Cuts streamed LLM text (`llm_text`) into sentences and pushes each as `tts_speak`, so TTS
 * can start on the first sentence while the LLM still writes; flushes the rest at
 * `llm_response_end` and at `function_calls_started` (the text said before function calls is
 * spoken before anything their results bring). An interruption drops the unfinished sentence.
 */
export class SentenceAggregator extends FrameProcessor {
  private buffer = '';

  constructor() {
    super('SentenceAggregator');
  }

  protected override get forwardedFrameTypes(): readonly FrameType[] {
    return CALLER_AUDIO;
  }

  protected override processFrame(f: Frame, direction: Direction): HandlerResult {
    switch (f.type) {
      case 'llm_text': {
        this.buffer += f.text;
        for (let end = nextSentenceEnd(this.buffer); end > 0; end = nextSentenceEnd(this.buffer)) {
          this.speak(this.buffer.slice(0, end));
          this.buffer = this.buffer.slice(end);
        }
        return;
      }
      case 'llm_response_end':
      // What the LLM said before calling functions is a whole utterance ("Let me check that"):
      // spoken now, so a flow's `tts_say` pre-action or a slow call cannot overtake it.
      case 'function_calls_started':
        this.speak(this.buffer);
        this.buffer = '';
        break;
      case 'interruption':
        this.buffer = '';
        break;
    }
    this.push(f, direction);
  }

  private speak(text: string): void {
    const t = text.trim();
    if (t) this.push(frame('tts_speak', { text: t }));
  }
}
