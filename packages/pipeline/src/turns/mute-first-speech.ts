import type { Frame } from '../frames/frames.ts';
import type { MuteStrategy } from './mute-strategy.ts';

/** Options of {@link FirstSpeechMuteStrategy}. */
export interface FirstSpeechMuteStrategyOptions {
  /**
   * Mute from the start of the call, not only once the first speech plays. Default false.
   * Only set it when the bot speaks first (a greeting is queued at the start): otherwise the
   * caller stays muted until the bot has spoken, which it never does without the caller.
   */
  readonly beforeFirstSpeech?: boolean;
}

/**
 * Mutes the caller during the bot's first speech (usually the greeting): from the first
 * `bot_started_speaking` to the first `bot_stopped_speaking` (or, with `beforeFirstSpeech`,
 * from the start of the call). Never mutes again afterwards.
 */
export class FirstSpeechMuteStrategy implements MuteStrategy {
  readonly name = 'first_speech';
  private state: 'before' | 'speaking' | 'done' = 'before';

  constructor(private readonly options: FirstSpeechMuteStrategyOptions = {}) {}

  get muted(): boolean {
    return this.state === 'speaking' || (this.state === 'before' && this.options.beforeFirstSpeech === true);
  }

  observe(f: Frame): void {
    if (f.type === 'bot_started_speaking' && this.state === 'before') this.state = 'speaking';
    else if (f.type === 'bot_stopped_speaking' && this.state !== 'done') this.state = 'done';
  }
}
