export {
  BROWSER_CLOSE_CODES,
  BROWSER_FRAME_MS,
  BROWSER_SAMPLE_RATE_HZ,
  type BrowserClientMessage,
  type BrowserServerMessage,
  type BrowserTranscriptLine,
  MAX_BROWSER_AUDIO_BYTES,
} from './protocol.ts';
export { BrowserSerializer } from './serializer.ts';
