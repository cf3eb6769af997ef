import {
  type FrameEvent,
  type FrameType,
  type TaskObserver,
  TranscriptCollector,
  type TranscriptEntry,
} from '@parley/pipeline';
import type { BrowserTranscriptLine } from '@parley/telephony';
import { RecentFrameIds } from './recent-frame-ids.ts';

/**
 * Relays a browser test call's transcript to the page as it is spoken: the recogniser's interim
 * words and each piece of the bot's turn as the caller heard it (`final: false`), then each
 * completed line as the call stores it (`final: true`, from a {@link TranscriptCollector}, so the
 * page shows what the stored transcript will say). Every other frame returns at once.
 */
export class BrowserTranscriptRelay implements TaskObserver {
  private readonly seen = new RecentFrameIds();
  private readonly collector: TranscriptCollector;
  /** What the caller has heard of the bot's current turn. */
  private botSoFar = '';

  /** @param send Receives each line; must not throw. */
  constructor(private readonly send: (line: BrowserTranscriptLine) => void) {
    this.collector = new TranscriptCollector((entry) => this.onEntry(entry));
  }

  readonly frameTypes: readonly FrameType[] = [
    ...new Set<FrameType>([...TranscriptCollector.FRAME_TYPES, 'interim_transcription', 'spoken_text']),
  ];

  onFrame(event: FrameEvent): void {
    this.collector.onFrame(event);
    const f = event.frame;
    if (f.type !== 'interim_transcription' && f.type !== 'spoken_text') return;
    if (!this.seen.firstSight(f.id)) return;
    if (f.text.trim() === '') return;
    if (f.type === 'interim_transcription') this.send({ role: 'user', text: f.text, final: false });
    else {
      this.botSoFar = this.botSoFar === '' ? f.text : `${this.botSoFar} ${f.text}`;
      this.send({ role: 'bot', text: this.botSoFar, final: false });
    }
  }

  onEnd(): void {
    this.collector.onEnd();
  }

  private onEntry(entry: TranscriptEntry): void {
    if (entry.role === 'assistant') this.botSoFar = '';
    this.send({ role: entry.role === 'user' ? 'user' : 'bot', text: entry.text, final: true });
  }
}
