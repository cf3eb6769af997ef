export { AssistantContextAggregator } from './aggregators/assistant-context.ts';
export { SentenceAggregator } from './aggregators/sentence-aggregator.ts';
export { nextSentenceEnd } from './aggregators/sentence-boundary.ts';
export { UserContextAggregator, type UserContextAggregatorOptions } from './aggregators/user-context.ts';
export { AudioFormatError, ResamplerError, WavWriteError } from './audio/audio-errors.ts';
export { MULAW_SILENCE, mulawToPcm, pcmToMulaw } from './audio/mulaw.ts';
export { pcmFromBytes, pcmToBytes } from './audio/pcm16.ts';
export { createResampler, DEFAULT_RESAMPLER_QUALITY, StreamingResampler } from './audio/resampler.ts';
export { SampleFifo } from './audio/sample-fifo.ts';
export { type RepairedWav, repairWavHeader } from './audio/wav-header.ts';
export { readWav, type WavAudio } from './audio/wav-reader.ts';
export { type WavFileInfo, WavFileWriter, type WavFileWriterOptions } from './audio/wav-writer.ts';
export { type Clock, systemClock, type TimerHandle } from './clock/clock.ts';
export { VirtualClock } from './clock/virtual-clock.ts';
export { LLMContext, type ToolDefinition } from './context/llm-context.ts';
export * from './frames/frames.ts';
export { FunctionCallError } from './functions/function-call-error.ts';
export type { FunctionCancelReason } from './functions/function-call-runner.ts';
export type { FunctionCallContext, FunctionHandler, FunctionOptions } from './functions/function-handler.ts';
export { FunctionResult, type FunctionResultOptions } from './functions/function-result.ts';
export { toolResultText } from './functions/tool-result-text.ts';
export { TranscriptCollector, type TranscriptEntry } from './observers/transcript-collector.ts';
export {
  type TurnOutcome,
  type TurnTiming,
  TurnTimingObserver,
  type TurnTimingObserverOptions,
} from './observers/turn-timing.ts';
export {
  type LLMUsage,
  type ServiceUsage,
  type STTUsage,
  type TTSUsage,
  type TtfbSummary,
  UsageCollector,
  type UsageSummary,
} from './observers/usage.ts';
export {
  type CostEstimate,
  type CostLine,
  estimateCost,
  type LLMPrice,
  type PriceList,
  type PriceTable,
  type STTPrice,
  type TTSPrice,
} from './observers/usage-cost.ts';
export {
  CALLER_AUDIO,
  type Direction,
  FrameProcessor,
  type HandlerResult,
  isAbortError,
  link,
} from './processors/frame-processor.ts';
export { ParallelPipeline } from './processors/parallel-pipeline.ts';
export { Pipeline } from './processors/pipeline.ts';
export {
  type FrameEvent,
  PipelineTask,
  type PipelineTaskOptions,
  type TaskObserver,
  type TaskResult,
} from './processors/task.ts';
export { PipelineStallError } from './processors/task-errors.ts';
export { CallRecorder, type CallRecorderOptions, type RecordingInfo } from './recording/recorder.ts';
export {
  REALTIME_HEAP_GROWING_PERCENT,
  type RealTimeGcOptions,
  tuneGcForRealTime,
} from './runtime/realtime-gc.ts';
export {
  type FailoverOptions,
  isFailoverError,
} from './services/failover/failover-chain.ts';
export { FailoverLLMService, type FailoverLLMServiceOptions } from './services/failover/llm-failover.ts';
export {
  FailoverSTTService,
  type FailoverSTTServiceOptions,
  type STTServiceSource,
} from './services/failover/stt-failover.ts';
export { FailoverTTSService, type FailoverTTSServiceOptions } from './services/failover/tts-failover.ts';
export {
  type LLMChunk,
  LLMService,
  type LLMServiceOptions,
} from './services/llm-service.ts';
export { type MetricLabels, metric, type ServiceMetricLabels } from './services/metrics.ts';
export {
  backoffDelayMs,
  isConfigurationError,
  isRetryableError,
  isTransientError,
  type RetryContext,
  type RetryOptions,
  retryAfterMs,
  retryUntilOutput,
} from './services/retry.ts';
export {
  DEFAULT_APOLOGIES,
  ServiceErrorResponder,
  type ServiceErrorResponderOptions,
} from './services/service-error-responder.ts';
export { ServiceTimeoutError } from './services/service-errors.ts';
export { STTService } from './services/stt-service.ts';
export { type TTSAudioChunk, TTSService, type TTSServiceOptions } from './services/tts-service.ts';
export {
  PARLEY_TRACER_NAME,
  TracingObserver,
  type TracingObserverOptions,
} from './telemetry/tracing-observer.ts';
export { ProcessorHarness } from './testing/harness.ts';
export { DtmfAggregator, type DtmfAggregatorOptions } from './text/dtmf-aggregator.ts';
export { MarkdownFilter, type MarkdownFilterOptions } from './text/markdown-filter.ts';
export { type StripMarkdownOptions, stripMarkdown } from './text/strip-markdown.ts';
export { heardPrefix } from './transport/heard-text.ts';
export { InputTransport } from './transport/input-transport.ts';
export {
  type AudioSink,
  OutputTransport,
  type OutputTransportOptions,
} from './transport/output-transport.ts';
export { BackchannelMatcher, DEFAULT_BACKCHANNELS, transcriptWords } from './turns/backchannel.ts';
export {
  AdaptiveEndpointing,
  DEFAULT_ENDPOINTING,
  type EndpointingOptions,
  type ResolvedEndpointingOptions,
  resolveEndpointingOptions,
} from './turns/endpointing.ts';
export {
  DEFAULT_INTERRUPTIONS,
  type InterruptionOptions,
  type ResolvedInterruptionOptions,
  resolveInterruptionOptions,
} from './turns/interruption-options.ts';
export { type MaxDurationOptions, MaxDurationProcessor } from './turns/max-duration-processor.ts';
export { FirstSpeechMuteStrategy, type FirstSpeechMuteStrategyOptions } from './turns/mute-first-speech.ts';
export { FunctionCallMuteStrategy } from './turns/mute-function-call.ts';
export type { MuteStrategy } from './turns/mute-strategy.ts';
export { DEFAULT_USER_IDLE, type UserIdleOptions, UserIdleProcessor } from './turns/user-idle-processor.ts';
export { UserTurnProcessor, type UserTurnProcessorOptions } from './turns/user-turn-processor.ts';
export { SileroVad, type SileroVadOptions, sileroModelPath } from './vad/silero.ts';
export {
  DEFAULT_SILERO_MAX_BATCH,
  DEFAULT_SILERO_MAX_WAIT_MS,
  SileroBatcher,
  type SileroBatchInfo,
  type SileroBatchOptions,
  type SileroBatchStats,
} from './vad/silero-batch.ts';
export type { VadAnalyzer, VadAnalyzerFactory } from './vad/vad-analyzer.ts';
export { VadError, type VadErrorCode } from './vad/vad-errors.ts';
export { DEFAULT_VAD_PARAMS, resolveVadParams, type VadParams } from './vad/vad-params.ts';
export { VADProcessor, type VADProcessorOptions } from './vad/vad-processor.ts';
export { type VadState, VadStateMachine, type VadTransition } from './vad/vad-state-machine.ts';
export { VoiceActivityDetector, type VoiceActivityEvent } from './vad/voice-activity-detector.ts';
export { VolumeMeter, type VolumeMeterOptions, windowVolume } from './vad/volume.ts';
