export {
  type FakeAnthropicBlock,
  type FakeAnthropicCredentials,
  type FakeAnthropicMessage,
  type FakeAnthropicReply,
  type FakeAnthropicRequest,
  FakeAnthropicServer,
  type FakeAnthropicServerOptions,
  type FakeAnthropicToolUse,
} from './fake-anthropic-server.ts';
export {
  type FakeCartesiaConnection,
  type FakeCartesiaInput,
  type FakeCartesiaReply,
  type FakeCartesiaRequest,
  FakeCartesiaServer,
  type FakeCartesiaServerOptions,
} from './fake-cartesia-server.ts';
export {
  type FakeDeepgramConnection,
  FakeDeepgramServer,
  type FakeDeepgramServerOptions,
  type FakeDeepgramSpeakReply,
  type FakeDeepgramSpeakRequest,
  type FakeDeepgramStep,
} from './fake-deepgram-server.ts';
export {
  FakeElevenLabsServer,
  type FakeElevenLabsServerOptions,
  type FakeElevenLabsSTTConnection,
  type FakeElevenLabsSTTStep,
  type FakeElevenLabsTTSReply,
  type FakeElevenLabsTTSRequest,
} from './fake-elevenlabs-server.ts';
export {
  type FakeGeminiContent,
  type FakeGeminiFunctionCall,
  type FakeGeminiPart,
  type FakeGeminiReply,
  type FakeGeminiRequest,
  type FakeGeminiRequestBody,
  FakeGeminiServer,
  type FakeGeminiServerOptions,
  type FakeGeminiUsage,
} from './fake-gemini-server.ts';
export {
  FakeOpenAIAudioServer,
  type FakeOpenAIAudioServerOptions,
  type FakeRealtimeConnection,
  type FakeSpeechBody,
  type FakeSpeechReply,
  type FakeSpeechRequest,
  type FakeTranscriptionStep,
} from './fake-openai-audio-server.ts';
export {
  type FakeChatHandler,
  type FakeChatMessage,
  type FakeChatReply,
  type FakeChatRequest,
  FakeOpenAIServer,
  type FakeOpenAIServerOptions,
  type FakeToolCall,
} from './fake-openai-server.ts';
export {
  FakeSarvamServer,
  type FakeSarvamServerOptions,
  type FakeSarvamSTTConnection,
  type FakeSarvamSTTStep,
  type FakeSarvamSynthesis,
  type FakeSarvamTTSConnection,
} from './fake-sarvam-server.ts';
export {
  FakeSTTService,
  type FakeSTTServiceOptions,
  FakeTTSService,
  type FakeTTSServiceOptions,
} from './fake-services.ts';
