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
export {
  LLMConfigurationError,
  LLMError,
  LLMRequestError,
  LocalEngineError,
  LocalEngineUnavailableError,
  STTConfigurationError,
  STTConnectionError,
  STTError,
  VendorServiceError,
} from './errors.ts';
export {
  DEFAULT_GEMINI_MODEL,
  GeminiLLMService,
  type GeminiLLMServiceOptions,
} from './google/llm.ts';
export {
  type GeminiConversation,
  type GeminiConversationOptions,
  toGeminiConversation,
  toGeminiTools,
} from './google/messages.ts';
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
export { DEFAULT_GROK_MODEL, GrokLLMService, type GrokLLMServiceOptions } from './xai/llm.ts';
