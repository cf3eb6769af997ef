import type { FrameEvent, TaskObserver } from '@parley/pipeline';
import { RecentFrameIds } from '../calls/recent-frame-ids.ts';

/**
 * Publishes a call's transcript as it is spoken, before the stored `user_spoke` /
 * `agent_spoke` lines complete (they supersede it): the STT's interim transcriptions
 * (`role: 'user'`) and each piece of the bot's speech as the caller heard it (`spoken_text`,
 * `role: 'assistant'`). Every other frame returns at the first comparison.
 */
export class LiveTranscriptObserver implements TaskObserver {
  private readonly seen = new RecentFrameIds();

  /** @param publish Receives the data of a `transcript_partial` live event. */
  constructor(private readonly publish: (data: { role: 'user' | 'assistant'; text: string }) => void) {}

  readonly frameTypes = ['interim_transcription', 'spoken_text'] as const;

  onFrame({ frame: f }: FrameEvent): void {
    if (f.type !== 'interim_transcription' && f.type !== 'spoken_text') return;
    if (!this.seen.firstSight(f.id)) return;
    if (f.text.trim() === '') return;
    this.publish({ role: f.type === 'spoken_text' ? 'assistant' : 'user', text: f.text });
  }
}
