import { describe, expect, it } from 'vitest';
import { AssistantContextAggregator } from '../src/aggregators/assistant-context.ts';
import { SentenceAggregator } from '../src/aggregators/sentence-aggregator.ts';
import { nextSentenceEnd } from '../src/aggregators/sentence-boundary.ts';
import { UserContextAggregator } from '../src/aggregators/user-context.ts';
import { LLMContext } from '../src/context/llm-context.ts';
import { frame } from '../src/frames/frames.ts';
import { ProcessorHarness } from '../src/testing/harness.ts';

describe('sentence boundaries', () => {
  const split = (text: string) => {
    const out: string[] = [];
    let rest = text;
    for (let end = nextSentenceEnd(rest); end > 0; end = nextSentenceEnd(rest)) {
      out.push(rest.slice(0, end).trim());
      rest = rest.slice(end);
    }
    return [...out, rest.trim()].filter(Boolean);
  };

  it('splits on sentence punctuation followed by a space', () => {
    expect(split('Hello there. How are you? Fine! ')).toEqual(['Hello there.', 'How are you?', 'Fine!']);
  });

  it('does not split titles, initials or decimals', () => {
    expect(split('Mr. Smith paid $29.95/month. J. R. agreed. ')).toEqual([
      'Mr. Smith paid $29.95/month.',
      'J. R. agreed.',
    ]);
  });

  it('waits when the punctuation is the last character (a decimal may follow)', () => {
    expect(nextSentenceEnd('It costs 3.')).toBe(0);
  });

  it('splits CJK punctuation without a following space', () => {
    expect(split('你好。我很好！')).toEqual(['你好。', '我很好！']);
  });
});

describe('SentenceAggregator', () => {
  it('speaks each sentence as soon as it is complete and flushes the rest at the end', async () => {
    const h = new ProcessorHarness(new SentenceAggregator());
    await h.start();
    h.send(frame('llm_response_start'));
    for (const t of ['Hel', 'lo. How ', 'are you', '? I am', ' fine']) h.send(frame('llm_text', { text: t }));
    expect(h.ofType('tts_speak').map((f) => f.text)).toEqual(['Hello.', 'How are you?']);
    h.send(frame('llm_response_end'));
    expect(h.ofType('tts_speak').map((f) => f.text)).toEqual(['Hello.', 'How are you?', 'I am fine']);
  });

  it('drops the unfinished sentence on interruption', async () => {
    const h = new ProcessorHarness(new SentenceAggregator());
    await h.start();
    h.send(frame('llm_text', { text: 'Half a sent' }));
    h.send(frame('interruption'));
    h.send(frame('llm_response_end'));
    expect(h.ofType('tts_speak')).toEqual([]);
  });
});

describe('UserContextAggregator', () => {
  it('ends the turn when the transcript arrives after the caller stopped speaking', async () => {
    const context = new LLMContext([{ role: 'system', content: 'sys' }]);
    const h = new ProcessorHarness(new UserContextAggregator(context));
    await h.start();
    h.send(frame('user_started_speaking'));
    h.send(frame('user_stopped_speaking'));
    expect(h.ofType('llm_context')).toHaveLength(0);
    h.send(frame('transcription', { text: 'hello there' }));
    expect(h.ofType('llm_context')).toHaveLength(1);
    expect(context.messages.at(-1)).toEqual({ role: 'user', content: 'hello there' });
  });

  it('waits for the caller to stop before ending a turn, joining the transcripts', async () => {
    const context = new LLMContext();
    const h = new ProcessorHarness(new UserContextAggregator(context));
    await h.start();
    h.send(frame('user_started_speaking'));
    h.send(frame('transcription', { text: 'book a table' }));
    h.send(frame('transcription', { text: 'for two' }));
    expect(h.ofType('llm_context')).toHaveLength(0);
    h.send(frame('user_stopped_speaking'));
    expect(h.ofType('llm_context')).toHaveLength(1);
    expect(context.messages).toEqual([{ role: 'user', content: 'book a table for two' }]);
  });
});

describe('AssistantContextAggregator', () => {
  it('adds what was spoken as one message when the bot stops', async () => {
    const context = new LLMContext();
    const h = new ProcessorHarness(new AssistantContextAggregator(context));
    await h.start();
    h.send(frame('spoken_text', { text: 'Hello.', partial: false }));
    h.send(frame('spoken_text', { text: 'How can I help?', partial: false }));
    h.send(frame('bot_stopped_speaking'));
    expect(context.messages).toEqual([{ role: 'assistant', content: 'Hello. How can I help?' }]);
  });

  it('marks a message cut by an interruption and keeps only the heard words', async () => {
    const context = new LLMContext();
    const h = new ProcessorHarness(new AssistantContextAggregator(context));
    await h.start();
    h.send(frame('spoken_text', { text: 'First.', partial: false }));
    h.send(frame('spoken_text', { text: 'Then we', partial: true }));
    h.send(frame('interruption'));
    h.send(frame('bot_stopped_speaking'));
    expect(context.messages).toEqual([{ role: 'assistant', content: 'First. Then we', interrupted: true }]);
  });
});
