import { describe, expect, it } from 'vitest';
import { UserContextAggregator } from '../src/aggregators/user-context.ts';
import { LLMContext } from '../src/context/llm-context.ts';
import { frame } from '../src/frames/frames.ts';
import { ProcessorHarness } from '../src/testing/harness.ts';

async function aggregator(context: LLMContext, rerunUnanswered?: boolean) {
  const h = new ProcessorHarness(
    new UserContextAggregator(context, rerunUnanswered === undefined ? {} : { rerunUnanswered }),
  );
  await h.start();
  return h;
}

describe('UserContextAggregator with turn decisions', () => {
  it('runs the LLM once per turn, on user_stopped_speaking, with the turn’s finals joined', async () => {
    const context = new LLMContext();
    const h = await aggregator(context);
    h.send(frame('user_started_speaking'));
    h.send(frame('transcription', { text: 'book a table' }));
    h.send(frame('interim_transcription', { text: 'for' }));
    h.send(frame('transcription', { text: 'for two' }));
    expect(h.ofType('llm_context')).toEqual([]);
    h.send(frame('user_stopped_speaking'));
    expect(h.ofType('llm_context')).toHaveLength(1);
    expect(context.messages).toEqual([{ role: 'user', content: 'book a table for two' }]);
  });

  it('pushes nothing for a turn without words after the bot answered', async () => {
    const context = new LLMContext([{ role: 'assistant', content: 'How can I help?' }]);
    const h = await aggregator(context);
    h.send(frame('user_started_speaking'));
    h.send(frame('user_stopped_speaking'));
    expect(h.ofType('llm_context')).toEqual([]);
  });

  it('reruns the LLM when a wordless turn cut the answer to the caller’s last message', async () => {
    const context = new LLMContext([{ role: 'user', content: 'what time is it' }]);
    const h = await aggregator(context);
    h.send(frame('user_started_speaking')); // a cough while the reply was being generated
    h.send(frame('user_stopped_speaking'));
    expect(h.ofType('llm_context')).toHaveLength(1);
    expect(context.messages).toHaveLength(1);
  });

  it('does not rerun when told not to', async () => {
    const context = new LLMContext([{ role: 'user', content: 'what time is it' }]);
    const h = await aggregator(context, false);
    h.send(frame('user_started_speaking'));
    h.send(frame('user_stopped_speaking'));
    expect(h.ofType('llm_context')).toEqual([]);
  });
});
