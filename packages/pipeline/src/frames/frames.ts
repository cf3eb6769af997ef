import type { Clock } from '../clock/clock.ts';
import type { LLMContext, ToolDefinition } from '../context/llm-context.ts';

/**
 * Frames: the immutable messages that flow through a pipeline.
 *
 * Every frame is a plain object with a `type` discriminant, a monotonic `id` and a
 * creation time `createdAtMs` (from `performance.now()`, ms). Build frames with
 * {@link frame} (or the helpers in `./create.ts`) so ids are assigned.
 *
 * Categories (see {@link frameCategory}):
 * - **system** frames are handled at once by every processor, ahead of queued frames,
 *   and are never dropped by an interruption;
 * - **data** and **control** frames are queued and keep their order; an interruption
 *   drops the queued ones unless they are {@link isUninterruptible uninterruptible}.
 */

/** 16-bit signed PCM audio, mono or interleaved; the only audio format inside a pipeline. */
export interface AudioPayload {
  /** Samples, signed 16-bit, interleaved when `channels > 1`. */
  readonly audio: Int16Array;
  /** Sample rate in Hz (8000 on the phone). */
  readonly sampleRateHz: number;
  /** Channel count (1 on the phone). */
  readonly channels: number;
}

/** Audio settings announced by the start frame. */
export interface AudioSettings {
  /** Sample rate of audio entering the pipeline, in Hz. */
  readonly inputSampleRateHz: number;
  /** Sample rate the output transport sends, in Hz. */
  readonly outputSampleRateHz: number;
}

/** One chat message of an LLM context (OpenAI chat shape). */
export type LLMMessage =
  | { role: 'system'; content: string }
  | { role: 'user'; content: string }
  | {
      role: 'assistant';
      content: string | null;
      tool_calls?: LLMToolCall[];
      /** Parley extension: the bot was cut short; `content` holds only what the caller heard. */
      interrupted?: boolean;
    }
  | { role: 'tool'; tool_call_id: string; content: string };

/** A function call requested by the LLM (OpenAI chat shape). */
export interface LLMToolCall {
  id: string;
  type: 'function';
  function: { name: string; arguments: string };
}

interface Base<T extends string> {
  readonly type: T;
  /** Monotonic id, unique within the process. */
  readonly id: number;
  /** `performance.now()` when the frame was made, ms. */
  readonly createdAtMs: number;
  /** Overrides the type's default interruptibility (see {@link isUninterruptible}). */
  readonly uninterruptible?: boolean;
}

// ---- system frames ----
/** First frame of every pipeline run; nothing is processed before it. */
export interface StartFrame extends Base<'start'> {
  readonly audio: AudioSettings;
  /** Free-form metadata for processors (call id, agent id, …). */
  readonly metadata: Readonly<Record<string, unknown>>;
  /** The clock for timing rules; the system clock when absent. */
  readonly clock?: Clock;
}
/** Stop at once: processors abort work and drop everything queued. */
export interface CancelFrame extends Base<'cancel'> {
  readonly reason: string;
}
/** The caller barged in: abort in-flight work and drop queued interruptible frames. */
export interface InterruptionFrame extends Base<'interruption'> {}
/** Audio from the caller. */
export interface InputAudioFrame extends Base<'input_audio'>, AudioPayload {}
/**
 * The caller's turn started. Pushed downstream by `UserTurnProcessor` (followed by an
 * `interruption`), which decides turns from the VAD's raw `vad_user_started_speaking` and the
 * STT's transcriptions; not by the VAD itself. A processor before the turn processor that has
 * no VAD may push it too (the turn processor consumes it as a raw speech start).
 */
export interface UserStartedSpeakingFrame extends Base<'user_started_speaking'> {}
/**
 * The caller's turn ended. Pushed downstream by `UserTurnProcessor` after the turn's
 * transcriptions, once the caller has been silent for the endpointing delay (or at once on a
 * final transcription flagged `endOfUtterance`); the VAD's own silence edge, after its
 * `stopSecs`, is `vad_user_stopped_speaking`. A processor before the turn processor that has
 * no VAD may push it too (the turn processor consumes it as a raw speech end).
 */
export interface UserStoppedSpeakingFrame extends Base<'user_stopped_speaking'> {}
/** The first audio of a bot reply was sent to the caller. */
export interface BotStartedSpeakingFrame extends Base<'bot_started_speaking'> {}
/** The bot's audio finished playing (or was interrupted). */
export interface BotStoppedSpeakingFrame extends Base<'bot_stopped_speaking'> {}
/** A DTMF key pressed by the caller. */
export interface DtmfInputFrame extends Base<'dtmf_input'> {
  /** One of `0-9`, `*`, `#`, `A-D`. */
  readonly digit: string;
}
/**
 * Something failed. Travels upstream to the task, which records it and, when `fatal`,
 * ends the call.
 */
export interface ErrorFrame extends Base<'error'> {
  readonly message: string;
  readonly fatal: boolean;
  /** Name of the processor that failed, when known. */
  readonly source?: string;
  /**
   * The kind of service whose own request failed (an STT, LLM or TTS service's connection,
   * timeout or vendor error), so the call can tell the caller; absent for other failures
   * (e.g. a function call's handler, which the LLM is told about instead).
   */
  readonly service?: ServiceKind;
  readonly cause?: unknown;
}
/** The kinds of AI service in a voice pipeline: speech-to-text, language model, text-to-speech. */
export type ServiceKind = 'stt' | 'llm' | 'tts';
/** A measurement (TTFB, processing time, …); see `metric()` for the names in use. */
export interface MetricsFrame extends Base<'metrics'> {
  /** What was measured, snake_case, e.g. `ttfb`, `audio_seconds`, `prompt_tokens`. */
  readonly name: string;
  /** Processor that measured it. */
  readonly processor: string;
  /** The measurement, a finite number ≥ 0 in {@link unit}; not rounded. */
  readonly value: number;
  /**
   * Unit of {@link value}: `ms` milliseconds, `s` seconds, `count` a plain count, `chars`
   * characters (UTF-16 code units), `tokens` LLM tokens as the provider counted them.
   */
  readonly unit: 'ms' | 'count' | 'chars' | 'tokens' | 's';
  /** For a service's usage and latency: the kind of service that measured it. */
  readonly service?: ServiceKind;
  /** For a service's usage and latency: who served the request, e.g. `deepgram`, `openai`. */
  readonly provider?: string;
  /** For a service's usage and latency: the provider's model (or voice engine), e.g. `nova-3`. */
  readonly model?: string;
}
/**
 * A failover chain (`FailoverSTTService`, `FailoverLLMService`, `FailoverTTSService`) moved its
 * requests from one service to another. Pushed both downstream and upstream, so that the server
 * records it as a call event (observers see it once per processor: dedupe by id).
 */
export interface ServiceSwitchedFrame extends Base<'service_switched'> {
  readonly service: ServiceKind;
  /** Name of the service used until now. */
  readonly from: string;
  /** Name of the service used from now on. */
  readonly to: string;
  /**
   * `failure`: `from` failed (see {@link error}); `recovered`: `to` comes before `from` in the
   * chain and its cool-down after a failure has passed, so it is tried again.
   */
  readonly reason: 'failure' | 'recovered';
  /** With `failure`: the message of `from`'s error. */
  readonly error?: string;
}
/** Asks the task to end gracefully (pushed upstream by any processor, e.g. on hang-up). */
export interface EndTaskFrame extends Base<'end_task'> {
  readonly reason: string;
}
/** Raw VAD edge: speech began (turn-taking decides whether the caller's turn started). */
export interface VADUserStartedSpeakingFrame extends Base<'vad_user_started_speaking'> {}
/** Raw VAD edge: speech ended after the VAD's `stopSecs` of silence. */
export interface VADUserStoppedSpeakingFrame extends Base<'vad_user_stopped_speaking'> {}
/** Pause bot audio without dropping it (a possible interruption is being checked). */
export interface OutputPauseFrame extends Base<'output_pause'> {}
/** Resume paused bot audio (the interruption was false). */
export interface OutputResumeFrame extends Base<'output_resume'> {}
/** A message for the transport's peer that must not wait behind queued frames. */
export interface UrgentTransportMessageFrame extends Base<'transport_message_urgent'> {
  readonly message: unknown;
}
/** The LLM asked for these function calls (one LLM response's group); announced before they run. */
export interface FunctionCallsStartedFrame extends Base<'function_calls_started'> {
  readonly calls: readonly LLMToolCall[];
}
/** A function call was cancelled (interruption, timeout); it will get no result frame. */
export interface FunctionCallCancelFrame extends Base<'function_call_cancel'> {
  readonly toolCallId: string;
  readonly name: string;
  readonly reason: 'interruption' | 'timeout' | 'cancel';
}
/**
 * Sent periodically by the task from the top; its arrival at the bottom proves the pipeline
 * flows. A control frame, queued behind data (so a handler that blocks holds it up) and never
 * dropped by an interruption.
 */
export interface HeartbeatFrame extends Base<'heartbeat'> {
  /** `clock.now()` when sent, ms. */
  readonly sentAtMs: number;
}
/** A provider acknowledged that audio up to a mark was played (Twilio/Exotel mark, Vobiz checkpoint). */
export interface PlaybackMarkFrame extends Base<'playback_mark'> {
  readonly name: string;
}

// ---- data frames ----
/** When a word is spoken within a TTS utterance. */
export interface WordTiming {
  readonly word: string;
  /** Start, ms from the utterance's first sample. */
  readonly startMs: number;
  /** End, ms from the utterance's first sample. */
  readonly endMs: number;
}

/** Audio to play to the caller (from TTS or a file). */
export interface OutputAudioFrame extends Base<'output_audio'>, AudioPayload {
  /** Id of the TTS utterance this audio belongs to. */
  readonly contextId?: string;
  /** Word timings of the utterance that the TTS reported with this audio, if any. */
  readonly words?: readonly WordTiming[];
}
/** A final transcription of the caller's speech. */
export interface TranscriptionFrame extends Base<'transcription'> {
  readonly text: string;
  readonly language?: string;
  /** The STT engine judged that the caller finished the utterance (its endpointing). */
  readonly endOfUtterance?: boolean;
}
/** An interim (unstable) transcription. */
export interface InterimTranscriptionFrame extends Base<'interim_transcription'> {
  readonly text: string;
}
/** Run the LLM on this context (pushed by the user context aggregator). */
export interface LLMContextFrame extends Base<'llm_context'> {
  /** The call's shared, mutable context. */
  readonly context: LLMContext;
}
/** A streamed piece of LLM text. */
export interface LLMTextFrame extends Base<'llm_text'> {
  readonly text: string;
}
/** Text to speak: a sentence for TTS. */
export interface TTSSpeakFrame extends Base<'tts_speak'> {
  readonly text: string;
}
/** Text whose audio has been played to the caller (from the output transport). */
export interface SpokenTextFrame extends Base<'spoken_text'> {
  readonly text: string;
  /** True when only part of the text was played (cut by an interruption). */
  readonly partial: boolean;
}
/** A function call is running (uninterruptible unless its tool allows cancellation). */
export interface FunctionCallInProgressFrame extends Base<'function_call_in_progress'> {
  readonly call: LLMToolCall;
  /** Whether an interruption cancels this call. */
  readonly cancelOnInterruption: boolean;
}
/** Digits to send to the caller's line as DTMF (e.g. to navigate an IVR). */
export interface DtmfOutputFrame extends Base<'dtmf_output'> {
  /** One or more of `0-9`, `*`, `#`, `A-D`. */
  readonly digits: string;
}
/** A message for the transport's peer, in order with the audio (e.g. a custom event). */
export interface TransportMessageFrame extends Base<'transport_message'> {
  readonly message: unknown;
}
/** Append messages to the LLM context; with `runLlm`, the LLM answers at once. */
export interface LLMMessagesAppendFrame extends Base<'llm_messages_append'> {
  readonly messages: readonly LLMMessage[];
  readonly runLlm?: boolean;
}
/** Replace the LLM context's messages (e.g. a new flow node); with `runLlm`, the LLM answers at once. */
export interface LLMMessagesReplaceFrame extends Base<'llm_messages_replace'> {
  readonly messages: readonly LLMMessage[];
  readonly runLlm?: boolean;
}
/** Replace the tools offered to the LLM. */
export interface LLMSetToolsFrame extends Base<'llm_set_tools'> {
  readonly tools: readonly ToolDefinition[];
}
/** A function call's result. */
export interface FunctionCallResultFrame extends Base<'function_call_result'> {
  readonly toolCallId: string;
  readonly name: string;
  readonly result: string;
}

// ---- control frames ----
/** End gracefully: processed after everything queued before it. Never dropped. */
export interface EndFrame extends Base<'end'> {
  readonly reason: string;
}
/** Stop the pipeline after what is queued, like `end`, but without playing out queued audio. */
export interface StopFrame extends Base<'stop'> {
  readonly reason: string;
}
/** An LLM response begins. */
export interface LLMResponseStartFrame extends Base<'llm_response_start'> {}
/** An LLM response ended. */
export interface LLMResponseEndFrame extends Base<'llm_response_end'> {}
/** TTS starts speaking an utterance; its `output_audio` frames carry the same `contextId`. */
export interface TTSStartedFrame extends Base<'tts_started'> {
  readonly contextId: string;
  /** The text being spoken. */
  readonly text: string;
}
/** TTS finished an utterance. */
export interface TTSStoppedFrame extends Base<'tts_stopped'> {
  readonly contextId: string;
}

/** Every frame Parley knows. */
export type Frame =
  | StartFrame
  | CancelFrame
  | InterruptionFrame
  | InputAudioFrame
  | UserStartedSpeakingFrame
  | UserStoppedSpeakingFrame
  | BotStartedSpeakingFrame
  | BotStoppedSpeakingFrame
  | DtmfInputFrame
  | ErrorFrame
  | MetricsFrame
  | ServiceSwitchedFrame
  | PlaybackMarkFrame
  | EndTaskFrame
  | VADUserStartedSpeakingFrame
  | VADUserStoppedSpeakingFrame
  | OutputPauseFrame
  | OutputResumeFrame
  | UrgentTransportMessageFrame
  | FunctionCallsStartedFrame
  | FunctionCallCancelFrame
  | HeartbeatFrame
  | OutputAudioFrame
  | TranscriptionFrame
  | InterimTranscriptionFrame
  | LLMContextFrame
  | LLMTextFrame
  | TTSSpeakFrame
  | SpokenTextFrame
  | FunctionCallInProgressFrame
  | FunctionCallResultFrame
  | DtmfOutputFrame
  | TransportMessageFrame
  | LLMMessagesAppendFrame
  | LLMMessagesReplaceFrame
  | LLMSetToolsFrame
  | EndFrame
  | StopFrame
  | LLMResponseStartFrame
  | LLMResponseEndFrame
  | TTSStartedFrame
  | TTSStoppedFrame;

/** The `type` of any frame. */
export type FrameType = Frame['type'];
/** The frame whose `type` is `T`. */
export type FrameOf<T extends FrameType> = Extract<Frame, { type: T }>;
/** See the module comment. */
export type FrameCategory = 'system' | 'data' | 'control';

const CATEGORY: Record<FrameType, FrameCategory> = {
  start: 'system',
  cancel: 'system',
  interruption: 'system',
  input_audio: 'system',
  user_started_speaking: 'system',
  user_stopped_speaking: 'system',
  bot_started_speaking: 'system',
  bot_stopped_speaking: 'system',
  dtmf_input: 'system',
  error: 'system',
  metrics: 'system',
  service_switched: 'system',
  playback_mark: 'system',
  end_task: 'system',
  vad_user_started_speaking: 'system',
  vad_user_stopped_speaking: 'system',
  output_pause: 'system',
  output_resume: 'system',
  transport_message_urgent: 'system',
  function_calls_started: 'system',
  function_call_cancel: 'system',
  output_audio: 'data',
  transcription: 'data',
  interim_transcription: 'data',
  llm_context: 'data',
  llm_text: 'data',
  tts_speak: 'data',
  spoken_text: 'data',
  function_call_in_progress: 'data',
  function_call_result: 'data',
  dtmf_output: 'data',
  transport_message: 'data',
  llm_messages_append: 'data',
  llm_messages_replace: 'data',
  llm_set_tools: 'data',
  end: 'control',
  stop: 'control',
  llm_response_start: 'control',
  llm_response_end: 'control',
  tts_started: 'control',
  tts_stopped: 'control',
  heartbeat: 'control',
};

const UNINTERRUPTIBLE = new Set<FrameType>([
  'end',
  'stop',
  'heartbeat',
  'function_call_in_progress',
  'function_call_result',
  'llm_messages_append',
  'llm_messages_replace',
  'llm_set_tools',
]);

/** The category of a frame type. */
export function frameCategory(type: FrameType): FrameCategory {
  return CATEGORY[type];
}

/** True for frames handled at once, ahead of queued ones. */
export function isSystemFrame(f: Frame): boolean {
  return CATEGORY[f.type] === 'system';
}

/**
 * True when an interruption must not drop this frame: `end`, `stop`, `heartbeat`, function
 * calls in progress and their results, and context updates survive by default; any frame may opt in
 * or out with `uninterruptible`.
 */
export function isUninterruptible(f: Frame): boolean {
  return f.uninterruptible ?? UNINTERRUPTIBLE.has(f.type);
}

let nextId = 1;

/** Fields of frame `T` that a caller provides (everything but type, id and time). */
export type FrameInit<T extends FrameType> = Omit<FrameOf<T>, 'type' | 'id' | 'createdAtMs'>;

/**
 * Make a frame of `type` with a fresh monotonic id.
 *
 * @example frame('transcription', { text: 'hello' }); frame('interruption')
 */
export function frame<T extends FrameType>(
  type: T,
  ...init: Record<string, never> extends FrameInit<T> ? [FrameInit<T>?] : [FrameInit<T>]
): FrameOf<T> {
  return { type, id: nextId++, createdAtMs: performance.now(), ...init[0] } as FrameOf<T>;
}
