/**
 * Vendor SDKs are imported on first use, so that importing `@parley/services` stays cheap; a
 * service starts loading its SDK when it is built. This loads them all now, for a process that
 * would rather pay at start than on its first call (benchmarks, a server warming up).
 */
import { cartesiaSdk } from '../cartesia/sdk.ts';
import { loadDeepgramSdk } from '../deepgram/sdk.ts';
import { loadElevenLabsSdk } from '../elevenlabs/sdk.ts';
import { loadOpenAISdk } from '../openai/sdk.ts';
import { loadSarvamSdk } from '../sarvam/client.ts';

/**
 * Imports every vendor SDK loaded on first use (Deepgram, ElevenLabs, Sarvam, Anthropic, Gemini, OpenAI, Cartesia).
 * @throws what importing one throws (a missing package).
 */
export async function preloadVendorSdks(): Promise<void> {
  cartesiaSdk();
  await Promise.all([
    loadOpenAISdk(),
    loadDeepgramSdk(),
    loadElevenLabsSdk(),
    loadSarvamSdk(),
    import('@anthropic-ai/sdk'),
    import('@google/genai'),
  ]);
}
