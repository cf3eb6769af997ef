import {
  type Direction,
  type Frame,
  FrameProcessor,
  frame,
  type HandlerResult,
  type TimerHandle,
} from '@parley/pipeline';

/**
 * Asks "Are you still there?" when the caller stays silent for `timeoutMs` after the bot
 * finished speaking. Place it just before the TTS service: it sees the caller's speech
 * (the VAD's `vad_user_started_speaking`, a turn processor's `user_started_speaking`) going
 * downstream and the output transport's `bot_stopped_speaking` coming upstream, and pushes
 * `tts_speak` downstream. Timers run on the start frame's clock (`this.clock`), so tests can
 * drive them with a `VirtualClock`.
 */
export class StillThere extends FrameProcessor {
  private timer: TimerHandle | undefined;

  constructor(
    private readonly timeoutMs = 8000,
    private readonly text = 'Are you still there?',
  ) {
    super('StillThere');
  }

  protected override processFrame(f: Frame, direction: Direction): HandlerResult {
    if (f.type === 'bot_stopped_speaking' && direction === 'upstream') this.arm();
    else if (f.type === 'vad_user_started_speaking' || f.type === 'user_started_speaking') this.disarm();
    else if (f.type === 'bot_started_speaking') this.disarm();
    this.push(f, direction); // pass every frame on
  }

  protected override onStop(): HandlerResult {
    this.disarm();
  }

  private arm(): void {
    this.disarm();
    const ask = () => this.push(frame('tts_speak', { text: this.text }));
    this.timer = this.clock.setTimeout(ask, this.timeoutMs);
  }

  private disarm(): void {
    this.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }
}
