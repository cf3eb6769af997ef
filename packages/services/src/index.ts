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
export { anthropicLLMVendor } from './anthropic/vendor.ts';
export {
  CARTESIA_API_BASE_URL,
  CartesiaTTSService,
  type CartesiaTTSServiceOptions,
  DEFAULT_CARTESIA_MODEL,
  DEFAULT_CARTESIA_VOICE_ID,
} from './cartesia/tts.ts';
export { cartesiaTTSVendor } from './cartesia/vendor.ts';
export { DeepgramSTTService, type DeepgramSTTServiceOptions } from './deepgram/stt.ts';
export { DeepgramTTSService, type DeepgramTTSServiceOptions } from './deepgram/tts.ts';
export {
  DEEPGRAM_API_BASE_URL,
  deepgramSTTVendor,
  deepgramTTSVendor,
  webSocketBaseUrl,
} from './deepgram/vendor.ts';
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
export { elevenlabsSTTVendor, elevenlabsTTSVendor } from './elevenlabs/vendor.ts';
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
export { geminiLLMVendor } from './google/vendor.ts';
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
export { localSTTVendor, localTTSVendor } from './local/vendor.ts';
export { EGRESS_REFUSED_CODE, OpenAILLMService, type OpenAILLMServiceOptions } from './openai/llm.ts';
export {
  type OpenAIServerVadOptions,
  OpenAISTTService,
  type OpenAISTTServiceOptions,
} from './openai/stt.ts';
export { OpenAITTSService, type OpenAITTSServiceOptions } from './openai/tts.ts';
export { OPENAI_API_BASE_URL, openaiLLMVendor, openaiSTTVendor, openaiTTSVendor } from './openai/vendor.ts';
export type { SarvamConnectionOptions } from './sarvam/client.ts';
export {
  SARVAM_STT_LANGUAGES,
  SARVAM_TTS_LANGUAGES,
  type SarvamSTTLanguage,
  type SarvamTTSLanguage,
  toSarvamLanguage,
} from './sarvam/languages.ts';
export { type SarvamSTTMode, SarvamSTTService, type SarvamSTTServiceOptions } from './sarvam/stt.ts';
export { SarvamTTSService, type SarvamTTSServiceOptions } from './sarvam/tts.ts';
export { SARVAM_API_BASE_URL, sarvamSTTVendor, sarvamTTSVendor } from './sarvam/vendor.ts';
export type {
  VendorCheckAccess,
  VendorCheckCode,
  VendorCheckResult,
} from './vendors/check.ts';
export { preloadVendorSdks } from './vendors/preload.ts';
export { findVendor, LLM_VENDORS, STT_VENDORS, TTS_VENDORS, VENDORS } from './vendors/registry.ts';
export {
  defineVendor,
  responseTimeoutOption,
  type ServiceOfKind,
  type VendorAccess,
  type VendorDefinition,
  type VendorKind,
} from './vendors/vendor.ts';
export { DEFAULT_GROK_MODEL, GrokLLMService, type GrokLLMServiceOptions } from './xai/llm.ts';
export { grokLLMVendor } from './xai/vendor.ts';
