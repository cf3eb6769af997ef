/**
 * The capacity bench's LLM: a fake OpenAI-compatible server in its own process, answering
 * every chat completion with {@link REPLY} (streamed), so that the Parley server under test
 * pays for a real HTTP client and stream parsing but not for a model.
 *
 * Usage (spawned by `capacity.ts` with an IPC channel): node --import tsx bench/capacity/fake-llm.ts
 * Sends `{ ready: true, url }` (the base URL, ending in `/v1`).
 */
import { FakeOpenAIServer } from '@parley/services/testing';

/** The reply, 31 characters: the floor's reply lasts as long as the fake TTS speaks it. */
export const REPLY = 'We open at nine in the morning.';

const llm = await FakeOpenAIServer.start({ defaultReply: { text: REPLY } });
process.send?.({ ready: true, url: llm.url });
process.on('disconnect', () => {
  void llm.close().finally(() => process.exit(0));
});
