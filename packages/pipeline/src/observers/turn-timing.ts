import { type Clock, systemClock } from '../clock/clock.ts';
import type { Frame, FrameType, ServiceKind } from '../frames/frames.ts';
import type { FrameEvent, TaskObserver } from '../processors/task.ts';

/**
 * How a user turn's timing ended:
 * - `played`: the first sentence of the reply was played to the caller;
 * - `interrupted`: the caller spoke again, or an interruption aborted the reply, before that;
 * - `failed`: an STT, LLM or TTS request failed or timed out before that (see {@link TurnTiming.error});
 * - `ended`: the call ended before that.
 */
export type TurnOutcome = 'played' | 'interrupted' | 'failed' | 'ended';

/**
 * Voice latency of one user turn: when each step of the reply first happened, in ms from the
 * moment the caller's turn ended (`user_stopped_speaking`), rounded to whole ms. A step that
 * did not happen is absent. Offsets may be negative where a step came before the turn's end
 * (a final transcript that beat the end of turn).
 */
export interface TurnTiming {
  /** 1-based index of the user turn in the call. */
  readonly turn: number;
  /** When the caller's turn ended, ms since the call started (the start frame). */
  readonly atMs: number;
  readonly outcome: TurnOutcome;
  /** With outcome `failed`: which service failed, and its error message. */
  readonly error?: { readonly service: ServiceKind; readonly message: string };
  /** The VAD heard the caller's last silence begin (`vad_user_stopped_speaking`); usually ≤ 0. */
  readonly vadStoppedMs?: number;
  /** The last final transcript of the turn (`transcription`) arrived. */
  readonly sttFinalMs?: number;
  /** The LLM was asked to reply (`llm_context`). */
  readonly llmRequestMs?: number;
  /** The LLM's first token (`llm_text`) arrived. */
  readonly llmFirstTokenMs?: number;
  /** The first sentence went to TTS (`tts_speak`). */
  readonly firstSentenceMs?: number;
  /** The TTS produced the first audio of the reply (`output_audio` with a `contextId`). */
  readonly ttsFirstAudioMs?: number;
  /** The output transport sent the first chunk of that audio to the caller (`output_audio` without `contextId`). */
  readonly firstAudioSentMs?: number;
  /**
   * The first sentence was played to the caller: its mark came back from the provider
   * (`playback_mark`) or the output transport reported it spoken (`spoken_text`), whichever
   * was first. The caller started hearing the reply between {@link firstAudioSentMs} and this.
   */
  readonly firstSentencePlayedMs?: number;
}

/** Options of {@link TurnTimingObserver}. */
export interface TurnTimingObserverOptions {
  /** Called when a turn's timing is complete (played, interrupted or ended). Must not throw. */
  readonly onTurn?: (timing: TurnTiming) => void;
  /** Called when a user turn ends and its timing starts (`user_stopped_speaking`), with its index. */
  readonly onTurnStart?: (turn: number) => void;
}

/** The step fields of {@link TurnTiming}. */
type TurnStep = Exclude<keyof TurnTiming, 'turn' | 'atMs' | 'outcome' | 'error'>;

interface OpenTurn {
  readonly index: number;
  readonly anchorId: number;
  readonly anchorMs: number;
  vadStoppedAt: number | undefined;
  sttFinalAt: number | undefined;
  llmRequestId: number | undefined;
  llmRequestAt: number | undefined;
  llmFirstTokenAt: number | undefined;
  sentenceId: number | undefined;
  sentenceAt: number | undefined;
  ttsContextId: string | undefined;
  ttsAudioAt: number | undefined;
  sentAt: number | undefined;
}

/**
 * Measures the voice latency of each user turn from the frames of a task (see
 * {@link TurnTiming}): caller stopped → final transcript → LLM first token → first sentence →
 * TTS first audio → first audio sent → first sentence played. Times come from the start frame's
 * clock (a `VirtualClock` in tests).
 *
 * Frames are seen once per processor that pushes them; each step counts the first sighting
 * after the step before it, by frame id (ids grow monotonically), so nothing is stored per frame.
 * A `user_stopped_speaking` counts only after a `user_started_speaking` (or when no turn is
 * open), so copies pushed both ways are one turn end.
 *
 * @example
 * new PipelineTask(processors, { observers: [new TurnTimingObserver({ onTurn: (t) => events.recordTurn(t) })] });
 */
export class TurnTimingObserver implements TaskObserver {
  /** Completed turns, in order. */
  readonly turns: TurnTiming[] = [];
  private clock: Clock = systemClock;
  private callStartMs: number | undefined;
  private turn: OpenTurn | undefined;
  private turnCount = 0;
  private userSpeaking = false;
  private lastStartId = 0;
  private lastStopId = 0;
  private lastVadStartId = 0;
  private lastTranscriptionId = 0;
  private lastVadStopId = 0;
  private lastInterruptionId = 0;
  /** Time of the last VAD stop since the caller's speech started. */
  private vadStoppedAt: number | undefined;
  /** Time of the last final transcript since the caller's speech started, before the turn ended. */
  private earlyTranscriptAt: number | undefined;

  /** The frames {@link onFrame} reads (see `TaskObserver.frameTypes`). */
  static readonly FRAME_TYPES: readonly FrameType[] = [
    'output_audio',
    'start',
    'vad_user_started_speaking',
    'vad_user_stopped_speaking',
    'user_started_speaking',
    'user_stopped_speaking',
    'transcription',
    'llm_context',
    'llm_text',
    'tts_speak',
    'tts_started',
    'playback_mark',
    'spoken_text',
    'error',
    'interruption',
  ];
  readonly frameTypes = TurnTimingObserver.FRAME_TYPES;

  /** @param options Callbacks; see {@link TurnTimingObserverOptions}. */
  constructor(private readonly options: TurnTimingObserverOptions = {}) {}

  onFrame({ frame: f }: FrameEvent): void {
    switch (f.type) {
      case 'output_audio':
        this.onOutputAudio(f.contextId, f.id);
        return;
      case 'start':
        if (this.callStartMs === undefined) {
          if (f.clock) this.clock = f.clock;
          this.callStartMs = this.clock.now();
        }
        return;
      case 'vad_user_started_speaking':
        if (f.id > this.lastVadStartId) {
          this.lastVadStartId = f.id;
          this.vadStoppedAt = undefined;
        }
        return;
      case 'vad_user_stopped_speaking':
        if (f.id > this.lastVadStopId) {
          this.lastVadStopId = f.id;
          this.vadStoppedAt = this.clock.now();
        }
        return;
      case 'user_started_speaking':
        // Seen again where a processor passes it later (e.g. one that was still starting): once is enough.
        if (this.userSpeaking || f.id <= this.lastStartId) return;
        this.lastStartId = f.id;
        this.userSpeaking = true;
        this.earlyTranscriptAt = undefined;
        if (this.turn) this.close('interrupted');
        return;
      case 'user_stopped_speaking':
        if (f.id <= this.lastStopId || (!this.userSpeaking && this.turn)) return;
        this.lastStopId = f.id;
        this.userSpeaking = false;
        this.open(f);
        return;
      case 'transcription':
        if (f.id <= this.lastTranscriptionId) return;
        this.lastTranscriptionId = f.id;
        if (!this.turn) this.earlyTranscriptAt = this.clock.now();
        else if (this.turn.llmRequestId === undefined) this.turn.sttFinalAt = this.clock.now();
        return;
      case 'llm_context': {
        const t = this.turn;
        if (t && t.llmRequestId === undefined && f.id > t.anchorId) {
          t.llmRequestId = f.id;
          t.llmRequestAt = this.clock.now();
        }
        return;
      }
      case 'llm_text': {
        const t = this.turn;
        if (t && t.llmFirstTokenAt === undefined && f.id > (t.llmRequestId ?? t.anchorId))
          t.llmFirstTokenAt = this.clock.now();
        return;
      }
      case 'tts_speak': {
        const t = this.turn;
        if (t && t.sentenceId === undefined && f.id > (t.llmRequestId ?? t.anchorId)) {
          t.sentenceId = f.id;
          t.sentenceAt = this.clock.now();
        }
        return;
      }
      case 'tts_started': {
        const t = this.turn;
        if (t && t.ttsContextId === undefined && t.sentenceId !== undefined && f.id > t.sentenceId)
          t.ttsContextId = f.contextId;
        return;
      }
      case 'playback_mark':
        if (this.turn?.sentAt !== undefined && f.name === this.turn.ttsContextId) this.close('played');
        return;
      case 'spoken_text':
        if (this.turn?.sentAt !== undefined && f.id > this.turn.anchorId) this.close('played');
        return;
      case 'error':
        // A service failed before the reply played: the turn ends there (an apology may follow).
        if (this.turn && f.service !== undefined && !f.fatal)
          this.close('failed', { service: f.service, message: f.message });
        return;
      case 'interruption': {
        if (f.id <= this.lastInterruptionId) return;
        this.lastInterruptionId = f.id;
        const t = this.turn;
        // An interruption before the reply was requested belongs to the turn-taking, not to this reply.
        if (t?.llmRequestId !== undefined && f.id > t.llmRequestId) this.close('interrupted');
        return;
      }
    }
  }

  onEnd(): void {
    if (this.turn) this.close('ended');
  }

  private onOutputAudio(contextId: string | undefined, id: number): void {
    const t = this.turn;
    if (!t || t.sentAt !== undefined) return;
    if (contextId !== undefined) {
      if (t.ttsAudioAt === undefined && contextId === t.ttsContextId && id > t.anchorId)
        t.ttsAudioAt = this.clock.now();
    } else if (t.ttsAudioAt !== undefined) {
      t.sentAt = this.clock.now();
    }
  }

  private open(f: Frame): void {
    if (this.turn) this.close('interrupted');
    const now = this.clock.now();
    this.turn = {
      index: ++this.turnCount,
      anchorId: f.id,
      anchorMs: now,
      vadStoppedAt: this.vadStoppedAt,
      sttFinalAt: this.earlyTranscriptAt,
      llmRequestId: undefined,
      llmRequestAt: undefined,
      llmFirstTokenAt: undefined,
      sentenceId: undefined,
      sentenceAt: undefined,
      ttsContextId: undefined,
      ttsAudioAt: undefined,
      sentAt: undefined,
    };
    this.vadStoppedAt = undefined;
    this.earlyTranscriptAt = undefined;
    this.options.onTurnStart?.(this.turn.index);
  }

  private close(outcome: TurnOutcome, error?: TurnTiming['error']): void {
    const t = this.turn;
    if (!t) return;
    this.turn = undefined;
    const timing: { -readonly [K in keyof TurnTiming]: TurnTiming[K] } = {
      turn: t.index,
      atMs: Math.round(t.anchorMs - (this.callStartMs ?? t.anchorMs)),
      outcome,
      ...(error ? { error } : {}),
    };
    const put = (step: TurnStep, atMs: number | undefined) => {
      if (atMs !== undefined) timing[step] = Math.round(atMs - t.anchorMs);
    };
    put('vadStoppedMs', t.vadStoppedAt);
    put('sttFinalMs', t.sttFinalAt);
    put('llmRequestMs', t.llmRequestAt);
    put('llmFirstTokenMs', t.llmFirstTokenAt);
    put('firstSentenceMs', t.sentenceAt);
    put('ttsFirstAudioMs', t.ttsAudioAt);
    put('firstAudioSentMs', t.sentAt);
    if (outcome === 'played') put('firstSentencePlayedMs', this.clock.now());
    const result: TurnTiming = timing;
    this.turns.push(result);
    this.options.onTurn?.(result);
  }
}
