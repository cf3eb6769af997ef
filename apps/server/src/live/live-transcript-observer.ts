import type { FrameEvent, TaskObserver } from '@parley/pipeline';

/** Frame ids remembered to see each frame once (a frame is seen once per processor that pushes it). */
const RECENT_IDS = 64;

/**
 * Publishes a call's transcript as it is spoken, before the stored `user_spoke` /
 * `agent_spoke` lines complete (they supersede it): the STT's interim transcriptions
 * (`role: 'user'`) and each piece of the bot's speech as the caller heard it (`spoken_text`,
 * `role: 'assistant'`). Every other frame returns at the first comparison.
 */
export class LiveTranscriptObserver implements TaskObserver {
  private readonly recent: number[] = [];

  /** @param publish Receives the data of a `transcript_partial` live event. */
  constructor(private readonly publish: (data: { role: 'user' | 'assistant'; text: string }) => void) {}

  onFrame({ frame: f }: FrameEvent): void {
    if (f.type !== 'interim_transcription' && f.type !== 'spoken_text') return;
    if (this.recent.includes(f.id)) return;
    this.recent.push(f.id);
    if (this.recent.length > RECENT_IDS) this.recent.shift();
    if (f.text.trim() === '') return;
    this.publish({ role: f.type === 'spoken_text' ? 'assistant' : 'user', text: f.text });
  }
}
