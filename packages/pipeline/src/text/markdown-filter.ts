import { type Frame, type FrameType, frame } from '../frames/frames.ts';
import {
  CALLER_AUDIO,
  type Direction,
  FrameProcessor,
  type HandlerResult,
} from '../processors/frame-processor.ts';
import { type StripMarkdownOptions, stripMarkdown } from './strip-markdown.ts';

/** Options of {@link MarkdownFilter}. */
export interface MarkdownFilterOptions extends StripMarkdownOptions {
  /** Processor name. Default `'MarkdownFilter'`. */
  readonly name?: string;
}

/**
 * Strips Markdown from the text the bot is about to say. Placed between the sentence
 * aggregator and TTS, it rewrites each `tts_speak` with {@link stripMarkdown} (bold, italics,
 * code, headings, link syntax, list markers, table pipes and, by default, emoji go; the words
 * and sentence punctuation stay). A sentence left with no letter or digit (a rule `---`, a
 * lone emoji) is dropped. Every other frame passes unchanged.
 *
 * Streaming-safe: it works on whole sentences, never on raw `llm_text` pieces, and tolerates
 * emphasis split across two sentences.
 */
export class MarkdownFilter extends FrameProcessor {
  private readonly options: StripMarkdownOptions;

  constructor(options: MarkdownFilterOptions = {}) {
    super(options.name ?? 'MarkdownFilter');
    this.options = options;
  }

  protected override get forwardedFrameTypes(): readonly FrameType[] {
    return CALLER_AUDIO;
  }

  protected override processFrame(f: Frame, direction: Direction): HandlerResult {
    if (f.type !== 'tts_speak') {
      this.push(f, direction);
      return;
    }
    const text = stripMarkdown(f.text, this.options);
    if (text === f.text) this.push(f, direction);
    else if (/[\p{L}\p{N}]/u.test(text)) {
      this.push(
        frame('tts_speak', {
          text,
          ...(f.uninterruptible !== undefined ? { uninterruptible: f.uninterruptible } : {}),
        }),
        direction,
      );
    }
  }
}
