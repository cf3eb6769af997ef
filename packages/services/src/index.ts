export {
  AnthropicLLMService,
  type AnthropicLLMServiceOptions,
  DEFAULT_ANTHROPIC_MODEL,
} from './anthropic/llm.ts';
export {
  type AnthropicConversation,
  CALL_START_TEXT,
  toAnthropicConversation,
  toAnthropicTools,
} from './anthropic/messages.ts';
export { DeepgramSTTService, type DeepgramSTTServiceOptions } from './deepgram/stt.ts';
export { DeepgramTTSService, type DeepgramTTSServiceOptions } from './deepgram/tts.ts';
export {
  LLMConfigurationError,
  LLMError,
  LLMRequestError,
  LocalEngineError,
  LocalEngineUnavailableError,
  STTConfigurationError,
  STTConnectionError,
  STTError,
  TTSConfigurationError,
  TTSError,
  TTSRequestError,
  VendorServiceError,
} from './errors.ts';
export {
  checkLocalEngines,
  checkLocalStt,
  checkLocalTts,
  type EngineCheck,
  type LocalEnginesStatus,
} from './local/engine-check.ts';
export {
  FLITE_VOICES,
  type FliteVoice,
  LocalTTSService,
  type LocalTTSServiceOptions,
  synthesizeWithFlite,
} from './local/flite-tts.ts';
export { LocalSTTService, type LocalSTTServiceOptions } from './local/pocketsphinx-stt.ts';
export { EGRESS_REFUSED_CODE, OpenAILLMService, type OpenAILLMServiceOptions } from './openai/llm.ts';
export {
  type OpenAIServerVadOptions,
  OpenAISTTService,
  type OpenAISTTServiceOptions,
} from './openai/stt.ts';
export { OpenAITTSService, type OpenAITTSServiceOptions } from './openai/tts.ts';
