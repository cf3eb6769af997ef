import type { TimerHandle } from '../clock/clock.ts';
import {
  type Frame,
  type FrameType,
  frame,
  type InterimTranscriptionFrame,
  type TranscriptionFrame,
} from '../frames/frames.ts';
import {
  CALLER_AUDIO,
  type Direction,
  FrameProcessor,
  type HandlerResult,
} from '../processors/frame-processor.ts';
import { DEFAULT_VAD_PARAMS, type VadParams } from '../vad/vad-params.ts';
import { BackchannelMatcher, transcriptWords } from './backchannel.ts';
import { AdaptiveEndpointing, type EndpointingOptions } from './endpointing.ts';
import {
  type InterruptionOptions,
  type ResolvedInterruptionOptions,
  resolveInterruptionOptions,
} from './interruption-options.ts';
import type { MuteStrategy } from './mute-strategy.ts';

/** Options of {@link UserTurnProcessor}. */
export interface UserTurnProcessorOptions {
  /** When the caller's turn ends (see {@link AdaptiveEndpointing}). Default: 0.5–3 s, adaptive. */
  readonly endpointing?: EndpointingOptions;
  /** When the caller interrupts the bot. Default: 0.5 s, 0 words, resume after 2 s, default backchannels. */
  readonly interruptions?: InterruptionOptions;
  /** When the caller is muted (e.g. `FirstSpeechMuteStrategy`); one instance per call. Default none. */
  readonly muteStrategies?: readonly MuteStrategy[];
  /**
   * The VAD's `startSecs`/`stopSecs`, to date when speech really began and ended (the VAD
   * reports both that late). Default {@link DEFAULT_VAD_PARAMS} (0.2 s each).
   */
  readonly vad?: Partial<Pick<VadParams, 'startSecs' | 'stopSecs'>>;
  /** Processor name. Default `UserTurnProcessor`. */
  readonly name?: string;
}

/**
 * `deferred`: speech that began while the caller was muted, kept (VAD edges tracked,
 * transcriptions held) until muting ends.
 */
type Phase = 'idle' | 'tentative' | 'turn' | 'deferred';
type Transcript = TranscriptionFrame | InterimTranscriptionFrame;

/**
 * Decides the caller's turns: when they start, when they end, and when the caller's speech
 * interrupts the bot. Place it right after the STT service, with the `UserContextAggregator`
 * right after it (only synchronous processors in between), so that the turn's transcripts
 * always reach the aggregator before its `user_stopped_speaking`.
 *
 * Consumes the VAD's raw `vad_user_started_speaking` / `vad_user_stopped_speaking` (and, from
 * upstream processors that have no VAD, `user_started_speaking` / `user_stopped_speaking`,
 * treated the same) and the STT's `transcription` / `interim_transcription`; reads
 * `bot_started_speaking` / `bot_stopped_speaking` (from the output transport, upstream).
 * Emits downstream `user_started_speaking`, `interruption`, the turn's transcriptions,
 * `user_stopped_speaking`, and `output_pause` / `output_resume`. Everything else passes through.
 * All timing uses the start frame's clock.
 *
 * **Turn start** (bot silent): the VAD's speech start, or a transcription (interim or final)
 * while the VAD hears nothing. It emits `user_started_speaking` then `interruption` (which
 * cancels a reply still being generated).
 *
 * **Turn end** is decided here, where the transcript is known: once the caller is silent (by
 * the VAD, or since the last transcription when the VAD heard nothing), the turn ends
 * - at once on a final transcription flagged `endOfUtterance` (the STT's own endpointing);
 * - else when a final transcription arrived since the speech last began and the endpointing
 *   delay (0.5–3 s, adapted to the caller's pauses) has passed since the speech ended, plus the
 *   VAD's `startSecs` (the time it needs to report resumed speech: so a pause shorter than the
 *   delay never ends the turn);
 * - else, without a final transcription, `maxDelaySecs` (plus `startSecs`) after the speech ended.
 * Speech resuming before that keeps the turn open (and teaches the endpointing the caller's
 * pause). For a turn the VAD did not hear, the last transcription stands for the end of speech
 * (and no `startSecs` is added). The turn's transcriptions are forwarded as they come,
 * `user_stopped_speaking` last.
 *
 * **While the bot speaks** the caller's speech is tentative: nothing is emitted yet and its
 * transcriptions are held.
 * - Words that are not all backchannels ("mhm", "okay", "i see"…), at least
 *   `max(1, minWords)` of them, interrupt: `user_started_speaking`, `interruption` (the output
 *   transport clears the provider's buffer and keeps the heard-only text), then the held
 *   transcriptions; the caller's turn goes on as above.
 * - With `minWords` 0, wordless speech lasting `minSpeechSecs` pushes `output_pause` (the bot
 *   goes quiet, its audio kept). If no words come within `falseInterruptionTimeoutSecs` after
 *   the caller went silent, `output_resume` (a false interruption); words make it real as above.
 *   With `falseInterruptionTimeoutSecs` 0, such speech interrupts at once instead.
 * - A final transcription that is only backchannels, once the caller is silent, is dropped:
 *   no interruption, no reply (a pause resumes at once).
 * - If the bot stops on its own while the caller speaks, non-backchannel words start a turn.
 * - Speech that brings nothing of the above is dropped after the same timeout.
 *
 * **Muted** (any mute strategy, e.g. during the greeting or a function call): speech that
 * begins while muted neither interrupts the bot nor starts a turn, but it is kept: its
 * transcriptions are held and its VAD edges tracked (tentative speech becomes kept speech when
 * muting begins, and a paused bot resumes). When muting ends, the kept speech is taken up as if
 * the caller had begun speaking at that moment: with the bot silent (the greeting finished) it
 * starts the caller's turn at once, its held transcriptions forwarded, and the turn ends by the
 * usual rules (at once when the caller already finished and a final transcription came); with
 * the bot speaking it is tentative speech, judged as above. Kept speech that is only
 * backchannels, or wordless and already over, is dropped. A turn already open when muting
 * begins finishes normally. Caller audio always flows on.
 */
export class UserTurnProcessor extends FrameProcessor {
  private readonly endpointing: AdaptiveEndpointing;
  private readonly rules: ResolvedInterruptionOptions;
  private readonly backchannels: BackchannelMatcher;
  private readonly mutes: readonly MuteStrategy[];
  private readonly vadStartMs: number;
  private readonly vadStopMs: number;

  private phase: Phase = 'idle';
  private botSpeaking = false;
  /** `output_pause` was sent and no `output_resume`/`interruption` followed yet. */
  private paused = false;
  private muted = false;
  private vadSpeaking = false;
  /** The VAD heard the current turn (or tentative speech); otherwise transcripts date it. */
  private vadInTurn = false;
  /** When the current/last stretch of speech began and ended (VAD delays removed), clock ms. */
  private speechStartMs = 0;
  private speechEndMs = 0;
  private lastTranscriptMs = 0;
  /** A final transcription arrived since the speech last began. */
  private finalSinceSpeech = false;
  private endOfUtterance = false;
  /** Transcriptions of tentative speech, in order. */
  private held: Transcript[] = [];
  /** Speech end of the last turn, while the bot has not answered it (to learn premature ends). */
  private lastTurnEndMs: number | undefined;
  private endTimer: TimerHandle | undefined;
  private minSpeechTimer: TimerHandle | undefined;
  private falseTimer: TimerHandle | undefined;

  /** @throws RangeError for endpointing or interruption options out of range. */
  constructor(options: UserTurnProcessorOptions = {}) {
    super(options.name ?? 'UserTurnProcessor');
    this.endpointing = new AdaptiveEndpointing(options.endpointing);
    this.rules = resolveInterruptionOptions(options.interruptions);
    this.backchannels = new BackchannelMatcher(this.rules.backchannels);
    this.mutes = [...(options.muteStrategies ?? [])];
    this.vadStartMs = (options.vad?.startSecs ?? DEFAULT_VAD_PARAMS.startSecs) * 1000;
    this.vadStopMs = (options.vad?.stopSecs ?? DEFAULT_VAD_PARAMS.stopSecs) * 1000;
  }

  /** The endpointing delay in use now, s (for tests and diagnostics). */
  get endpointingDelaySecs(): number {
    return this.endpointing.delaySecs;
  }

  /** True while a mute strategy mutes the caller. */
  get isMuted(): boolean {
    return this.muted;
  }

  protected override get forwardedFrameTypes(): readonly FrameType[] {
    return CALLER_AUDIO;
  }

  protected override processFrame(f: Frame, direction: Direction): HandlerResult {
    if (this.mutes.length === 0) return this.handle(f, direction);
    const wasMuted = this.muted;
    this.updateMute(f, direction);
    this.handle(f, direction);
    if (wasMuted && !this.muted && this.phase === 'deferred') this.takeUpKeptSpeech();
  }

  private handle(f: Frame, direction: Direction): void {
    const fromInput = direction === 'downstream';
    switch (f.type) {
      case 'vad_user_started_speaking':
        this.onSpeechStarted();
        return;
      case 'vad_user_stopped_speaking':
        this.onSpeechStopped();
        return;
      case 'user_started_speaking':
        if (!fromInput) break;
        this.onSpeechStarted();
        return;
      case 'user_stopped_speaking':
        if (!fromInput) break;
        this.onSpeechStopped();
        return;
      case 'transcription':
      case 'interim_transcription':
        if (!fromInput) break;
        this.onTranscript(f);
        return;
      case 'bot_started_speaking':
        this.botSpeaking = true;
        this.lastTurnEndMs = undefined; // the bot answered: later speech is a new turn
        break;
      case 'bot_stopped_speaking':
        this.push(f, direction);
        this.onBotStopped();
        return;
      case 'interruption':
        this.paused = false; // any interruption ends the output transport's pause
        break;
    }
    this.push(f, direction);
  }

  protected override onStop(): HandlerResult {
    this.clearTimers();
  }

  // ---- events ----

  private onSpeechStarted(): void {
    const now = this.clock.now();
    if (this.muted && this.phase === 'idle') this.keepSpeech();
    if (this.phase === 'deferred') {
      this.vadSpeaking = true;
      this.vadInTurn = true;
      this.speechStartMs = now - this.vadStartMs;
      return;
    }
    const wasSilentInTurn = this.phase === 'turn' && this.vadInTurn && !this.vadSpeaking;
    this.vadSpeaking = true;
    this.speechStartMs = now - this.vadStartMs;
    this.clock.clearTimeout(this.falseTimer);
    this.falseTimer = undefined;
    switch (this.phase) {
      case 'idle':
        if (this.lastTurnEndMs !== undefined) {
          // The turn was ended during what was only a pause: the caller went on before the bot answered.
          this.endpointing.recordPause((this.speechStartMs - this.lastTurnEndMs) / 1000);
          this.lastTurnEndMs = undefined;
        }
        this.resetTurn();
        this.vadInTurn = true;
        if (this.botSpeaking) {
          this.phase = 'tentative';
          this.armMinSpeech();
        } else this.startTurn();
        break;
      case 'turn':
        this.clearEndTimer();
        if (wasSilentInTurn) this.endpointing.recordPause((this.speechStartMs - this.speechEndMs) / 1000);
        this.vadInTurn = true;
        this.finalSinceSpeech = false;
        this.endOfUtterance = false;
        break;
      case 'tentative':
        this.vadInTurn = true;
        this.armMinSpeech();
        break;
    }
  }

  private onSpeechStopped(): void {
    if (!this.vadSpeaking) return; // its start was dropped (muted) or never came
    this.vadSpeaking = false;
    this.speechEndMs = this.clock.now() - this.vadStopMs;
    if (this.phase === 'deferred') return;
    this.clock.clearTimeout(this.minSpeechTimer);
    this.minSpeechTimer = undefined;
    if (this.phase === 'turn') this.scheduleEnd();
    else if (this.phase === 'tentative') {
      this.evaluateTentative(); // e.g. a backchannel's final came before the VAD's stop
      if (this.phase === 'tentative') this.armFalseInterruption();
    }
  }

  private onTranscript(f: Transcript): void {
    if (this.muted && this.phase === 'idle') this.keepSpeech();
    this.lastTranscriptMs = this.clock.now();
    switch (this.phase) {
      case 'deferred':
        this.held.push(f);
        break;
      case 'idle':
        this.resetTurn();
        this.lastTurnEndMs = undefined;
        if (this.botSpeaking) {
          this.phase = 'tentative';
          this.hold(f);
        } else {
          this.startTurn();
          this.forward(f);
          this.scheduleEnd();
        }
        break;
      case 'tentative':
        this.hold(f);
        break;
      case 'turn':
        this.forward(f);
        this.scheduleEnd();
        break;
    }
  }

  private onBotStopped(): void {
    this.botSpeaking = false;
    if (this.paused) {
      // The bot finished just as we paused it: release the transport.
      this.paused = false;
      this.push(frame('output_resume'));
    }
    if (this.phase === 'tentative') this.evaluateTentative();
  }

  private updateMute(f: Frame, direction: Direction): void {
    for (const m of this.mutes) m.observe(f, direction);
    const muted = this.mutes.some((m) => m.muted);
    if (muted && !this.muted && this.phase === 'tentative') this.keepTentative();
    this.muted = muted;
  }

  // ---- speech while muted ----

  /** Speech begins while muted: keep it for when muting ends. */
  private keepSpeech(): void {
    this.resetTurn();
    this.lastTurnEndMs = undefined;
    this.phase = 'deferred';
  }

  /** Muting begins during tentative speech: keep it (resuming a paused bot). */
  private keepTentative(): void {
    this.clock.clearTimeout(this.minSpeechTimer);
    this.clock.clearTimeout(this.falseTimer);
    this.minSpeechTimer = undefined;
    this.falseTimer = undefined;
    this.phase = 'deferred';
    if (this.paused) {
      this.paused = false;
      this.push(frame('output_resume'));
    }
  }

  /** Muting ended: the kept speech counts as if the caller had begun speaking now. */
  private takeUpKeptSpeech(): void {
    if (this.botSpeaking) {
      this.phase = 'tentative';
      if (this.vadSpeaking) this.armMinSpeech();
      this.evaluateTentative();
      if (this.phase === 'tentative' && !this.vadSpeaking) this.armFalseInterruption();
      return;
    }
    const words = this.heldWords();
    const nothingToAnswer = words.length === 0 || this.backchannels.coversAll(words);
    if (nothingToAnswer && !this.vadSpeaking) {
      // Over, and only noise or backchannels (a final still on its way starts a turn when it comes).
      this.phase = 'idle';
      this.held = [];
      return;
    }
    this.commit();
  }

  // ---- tentative speech (while the bot speaks) ----

  private hold(f: Transcript): void {
    this.held.push(f);
    this.evaluateTentative();
    if (this.phase === 'tentative' && !this.vadSpeaking) this.armFalseInterruption();
  }

  /** Decides tentative speech from its words so far. */
  private evaluateTentative(): void {
    const words = this.heldWords();
    if (words.length === 0) return;
    if (this.backchannels.coversAll(words)) {
      const confirmed = this.held.at(-1)!.type === 'transcription' && !this.vadSpeaking;
      if (confirmed) this.dropTentative();
      return;
    }
    const botHasFloor = this.botSpeaking || this.paused;
    if (botHasFloor && (!this.rules.enabled || words.length < Math.max(1, this.rules.minWords))) return;
    this.commit();
  }

  /** Words of the held transcriptions: the finals, then the latest interim after them. */
  private heldWords(): string[] {
    const parts: string[] = [];
    let interim = '';
    for (const t of this.held) {
      if (t.type === 'transcription') {
        parts.push(t.text);
        interim = '';
      } else interim = t.text;
    }
    if (interim) parts.push(interim);
    return transcriptWords(parts.join(' '));
  }

  private armMinSpeech(): void {
    this.clock.clearTimeout(this.minSpeechTimer);
    const dueMs = this.speechStartMs + this.rules.minSpeechSecs * 1000 - this.clock.now();
    this.minSpeechTimer = this.clock.setTimeout(() => this.onMinSpeech(), Math.max(0, dueMs));
  }

  /** Tentative speech without words has lasted `minSpeechSecs`. */
  private onMinSpeech(): void {
    this.minSpeechTimer = undefined;
    if (!this.isRunning || this.phase !== 'tentative' || !this.vadSpeaking) return;
    if (!this.rules.enabled || !this.botSpeaking || this.rules.minWords > 0) return;
    if (this.rules.falseInterruptionTimeoutSecs === 0) {
      this.commit();
      return;
    }
    if (!this.paused) {
      this.paused = true;
      this.push(frame('output_pause'));
    }
  }

  private armFalseInterruption(): void {
    this.clock.clearTimeout(this.falseTimer);
    const secs = this.rules.falseInterruptionTimeoutSecs || this.endpointing.maxDelaySecs;
    this.falseTimer = this.clock.setTimeout(() => {
      this.falseTimer = undefined;
      if (this.isRunning && this.phase === 'tentative' && !this.vadSpeaking) this.dropTentative();
    }, secs * 1000);
  }

  /** Tentative speech was not an interruption: forget it, and resume the bot if it was paused. */
  private dropTentative(): void {
    this.clock.clearTimeout(this.minSpeechTimer);
    this.clock.clearTimeout(this.falseTimer);
    this.minSpeechTimer = undefined;
    this.falseTimer = undefined;
    this.phase = 'idle';
    this.held = [];
    if (this.paused) {
      this.paused = false;
      this.push(frame('output_resume'));
    }
  }

  /** Tentative speech becomes the caller's turn (interrupting the bot if it speaks). */
  private commit(): void {
    this.clock.clearTimeout(this.minSpeechTimer);
    this.clock.clearTimeout(this.falseTimer);
    this.minSpeechTimer = undefined;
    this.falseTimer = undefined;
    const held = this.held;
    this.held = [];
    this.startTurn();
    for (const t of held) this.forward(t);
    this.scheduleEnd();
  }

  // ---- the caller's turn ----

  private startTurn(): void {
    this.phase = 'turn';
    this.paused = false; // the interruption clears the transport's pause
    this.push(frame('user_started_speaking'));
    this.push(frame('interruption'));
  }

  private forward(f: Transcript): void {
    this.push(f);
    if (f.type === 'transcription') {
      this.finalSinceSpeech = true;
      this.endOfUtterance = f.endOfUtterance === true;
    }
  }

  /** (Re)plans the end of the open turn; ends it now when due. */
  private scheduleEnd(): void {
    this.clearEndTimer();
    if (this.phase !== 'turn' || this.vadSpeaking) return;
    const silenceSinceMs = this.vadInTurn ? this.speechEndMs : this.lastTranscriptMs;
    if (this.finalSinceSpeech && this.endOfUtterance) {
      this.endTurn(silenceSinceMs, false);
      return;
    }
    const delaySecs = this.finalSinceSpeech ? this.endpointing.delaySecs : this.endpointing.maxDelaySecs;
    const confirmMs = this.vadInTurn ? this.vadStartMs : 0; // until the VAD could report resumed speech
    const waitMs = silenceSinceMs + delaySecs * 1000 + confirmMs - this.clock.now();
    if (waitMs <= 0) this.endTurn(silenceSinceMs, true);
    else this.endTimer = this.clock.setTimeout(() => this.endTurn(silenceSinceMs, true), waitMs);
  }

  private endTurn(silenceSinceMs: number, byDelay: boolean): void {
    this.endTimer = undefined;
    if (!this.isRunning || this.phase !== 'turn') return;
    this.phase = 'idle';
    // Only a turn the endpointing delay ended (with words, timed by the VAD) can teach it.
    this.lastTurnEndMs = byDelay && this.finalSinceSpeech && this.vadInTurn ? silenceSinceMs : undefined;
    this.resetTurn();
    this.push(frame('user_stopped_speaking'));
  }

  private resetTurn(): void {
    this.clearEndTimer();
    this.vadInTurn = false;
    this.finalSinceSpeech = false;
    this.endOfUtterance = false;
    this.held = [];
  }

  private clearEndTimer(): void {
    this.clock.clearTimeout(this.endTimer);
    this.endTimer = undefined;
  }

  private clearTimers(): void {
    this.clearEndTimer();
    this.clock.clearTimeout(this.minSpeechTimer);
    this.clock.clearTimeout(this.falseTimer);
    this.minSpeechTimer = undefined;
    this.falseTimer = undefined;
  }
}
