import {
  AssistantContextAggregator,
  type AudioSink,
  InputTransport,
  LLMContext,
  OutputTransport,
  PipelineTask,
  SentenceAggregator,
  ServiceErrorResponder,
  UserContextAggregator,
  VADProcessor,
} from '@parley/pipeline';
import {
  LocalSTTService,
  LocalTTSService,
  OpenAILLMService,
  type OpenAILLMServiceOptions,
} from '@parley/services';

/** One call's bot: push the caller's audio into `input`, run `task`. */
export interface VoiceBot {
  readonly input: InputTransport;
  readonly task: PipelineTask;
}

/**
 * A phone bot, transport-agnostic: caller audio (16-bit mono PCM, 8 kHz) goes in through
 * `input.pushAudio`, the bot's voice comes out through `sink`. Offline STT (pocketsphinx) and
 * TTS (Flite); any OpenAI-compatible LLM (default: `OPENAI_API_KEY`, `OPENAI_BASE_URL`).
 */
export function createVoiceBot(sink: AudioSink, llm: OpenAILLMServiceOptions = {}): VoiceBot {
  const context = new LLMContext([
    { role: 'system', content: 'You are a friendly phone assistant. Answer in one or two short sentences.' },
  ]);
  const input = new InputTransport();
  const task = new PipelineTask([
    input, // caller audio in
    new ServiceErrorResponder(), // a failed STT/LLM/TTS request → a short spoken apology
    new VADProcessor(), // raw speech edges: vad_user_started/stopped_speaking
    new LocalSTTService(), // speech → transcription; with no turn processor, each final one is a turn
    new UserContextAggregator(context), // the caller's turn → the LLM context
    new OpenAILLMService({ model: 'gpt-4o-mini', ...llm }), // context → streamed reply (and tools)
    new SentenceAggregator(), // streamed text → sentences
    new LocalTTSService(), // sentences → 8 kHz speech
    new OutputTransport({ sink }), // paced audio out; learns what the caller heard
    new AssistantContextAggregator(context), // what the caller heard → the LLM context
  ]);
  return { input, task };
}
