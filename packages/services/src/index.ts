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
export { ELEVENLABS_BASE_URL, type ElevenLabsApiKey } from './elevenlabs/client-config.ts';
export {
  DEFAULT_ELEVENLABS_STT_MODEL,
  ElevenLabsSTTService,
  type ElevenLabsSTTServiceOptions,
} from './elevenlabs/stt.ts';
export {
  DEFAULT_ELEVENLABS_TTS_MODEL,
  DEFAULT_ELEVENLABS_VOICE_ID,
  ElevenLabsTTSService,
  type ElevenLabsTTSServiceOptions,
  type ElevenLabsVoiceSettings,
} from './elevenlabs/tts.ts';
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
