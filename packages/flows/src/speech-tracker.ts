/**
 * Knows whether speech is still to be played: something was queued for TTS (an LLM response's
 * text, a `tts_say`) and the bot has not stopped speaking since. Actions that must happen after
 * the speech before them (`function`, custom) wait on {@link played}.
 */
export class SpeechTracker {
  private pending = false;
  private waiters: Array<() => void> = [];

  /** Text was queued for TTS (`tts_speak` pushed, `llm_text` seen). */
  queued(): void {
    this.pending = true;
  }

  /** The bot stopped speaking, was interrupted, or the pipeline ends: nothing is left to play. */
  settled(): void {
    this.pending = false;
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }

  /** Resolves at once when nothing is pending, else at the next {@link settled}. */
  played(): Promise<void> {
    if (!this.pending) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }
}
