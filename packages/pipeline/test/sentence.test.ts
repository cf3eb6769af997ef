import { describe, expect, it } from 'vitest';
import { SentenceAggregator } from '../src/aggregators/sentence-aggregator.ts';
import { nextSentenceEnd } from '../src/aggregators/sentence-boundary.ts';
import { frame } from '../src/frames/frames.ts';
import { ProcessorHarness } from '../src/testing/harness.ts';

/** Complete sentences of `text`, then what is left unfinished. */
function split(text: string): { sentences: string[]; rest: string } {
  const sentences: string[] = [];
  let rest = text;
  for (let end = nextSentenceEnd(rest); end > 0; end = nextSentenceEnd(rest)) {
    sentences.push(rest.slice(0, end).trim());
    rest = rest.slice(end);
  }
  return { sentences, rest: rest.trim() };
}

describe('sentence boundaries', () => {
  it.each([
    ['titles', 'Mr. Smith and Dr. Jones met Mrs. Lee. Then ', ['Mr. Smith and Dr. Jones met Mrs. Lee.']],
    [
      'prices with a slash',
      'It is $29.95/month. Cancel any time. ',
      ['It is $29.95/month.', 'Cancel any time.'],
    ],
    ['decimals', 'Rates rose 3.5 percent. Then fell. ', ['Rates rose 3.5 percent.', 'Then fell.']],
    ['initials', 'J. R. R. Tolkien wrote it. Yes. ', ['J. R. R. Tolkien wrote it.', 'Yes.']],
    [
      'e.g. and i.e.',
      'Bring fruit, e.g. apples. Or i.e. pears. ',
      ['Bring fruit, e.g. apples.', 'Or i.e. pears.'],
    ],
    [
      'dotted initialisms',
      'The U.S. office opens at 9 a.m. sharp. Ok. ',
      ['The U.S. office opens at 9 a.m. sharp.', 'Ok.'],
    ],
    ['company suffixes', 'Acme Inc. sells it. Fine. ', ['Acme Inc. sells it.', 'Fine.']],
    [
      '"No." before a number only',
      'See No. 5 please. No. It is not. ',
      ['See No. 5 please.', 'No.', 'It is not.'],
    ],
    ['closing quotes stay with the sentence', 'He said "Hi!" Then left. ', ['He said "Hi!"', 'Then left.']],
    ['emphasis closing after the period', '**Done.** Next one. ', ['**Done.**', 'Next one.']],
    ['ellipses', 'Well... I think so. ', ['Well...', 'I think so.']],
  ])('handles %s', (_name, text, expected) => {
    expect(split(text).sentences).toEqual(expected);
  });

  it('keeps numbered-list markers with their item and ends items at line breaks', () => {
    expect(split('Here is how:\n1. Open the app.\n2. Tap Pay\n3. Done\n').sentences).toEqual([
      'Here is how:',
      '1. Open the app.',
      '2. Tap Pay',
      '3. Done',
    ]);
  });

  it('ends bullet items and headings at line breaks', () => {
    expect(split('## Plans\n- Basic\n- Pro\n').sentences).toEqual(['## Plans', '- Basic', '- Pro']);
  });

  it('still ends a sentence on a number in the middle of a line', () => {
    expect(split('We have 12. Do you want them? ').sentences).toEqual(['We have 12.', 'Do you want them?']);
  });

  it('splits CJK and Devanagari punctuation without a following space', () => {
    expect(split('你好。我很好！你呢？').sentences).toEqual(['你好。', '我很好！', '你呢？']);
    expect(split('नमस्ते। आप कैसे हैं? ').sentences).toEqual(['नमस्ते।', 'आप कैसे हैं?']);
  });

  it('waits while the text that follows decides', () => {
    expect(nextSentenceEnd('It costs 3.')).toBe(0); // a decimal may follow
    expect(nextSentenceEnd('Call No. ')).toBe(0); // a number may follow
    expect(nextSentenceEnd('He said "Hi!')).toBe(0); // a closing quote may follow
    expect(nextSentenceEnd('  \n')).toBe(0); // a blank line is no sentence
  });
});

describe('SentenceAggregator with streamed pieces', () => {
  async function speak(pieces: string[]): Promise<string[]> {
    const h = new ProcessorHarness(new SentenceAggregator());
    await h.start();
    h.send(frame('llm_response_start'));
    for (const text of pieces) h.send(frame('llm_text', { text }));
    h.send(frame('llm_response_end'));
    return h.ofType('tts_speak').map((f) => f.text);
  }

  it('does not cut abbreviations, prices or decimals split across pieces', async () => {
    expect(
      await speak(['Mr', '. Smith pays $29', '.', '95/month', '. That is ', '3', '.5 times more', '.']),
    ).toEqual(['Mr. Smith pays $29.95/month.', 'That is 3.5 times more.']);
  });

  it('speaks list items one by one as their lines end', async () => {
    const h = new ProcessorHarness(new SentenceAggregator());
    await h.start();
    for (const text of ['Options:\n1', '. Basic', '\n2. Pro']) h.send(frame('llm_text', { text }));
    expect(h.ofType('tts_speak').map((f) => f.text)).toEqual(['Options:', '1. Basic']);
    h.send(frame('llm_response_end'));
    expect(h.ofType('tts_speak').map((f) => f.text)).toEqual(['Options:', '1. Basic', '2. Pro']);
  });

  it('speaks the half sentence said before function calls before what comes after them', async () => {
    const h = new ProcessorHarness(new SentenceAggregator());
    await h.start();
    h.send(frame('llm_response_start'));
    h.send(frame('llm_text', { text: 'Let me check that for you' }));
    h.send(frame('function_calls_started', { calls: [] }));
    h.send(frame('tts_speak', { text: 'One moment.' })); // e.g. a flow's pre-action
    h.send(frame('llm_text', { text: 'It is booked.' }));
    h.send(frame('llm_response_end'));
    expect(h.ofType('tts_speak').map((f) => f.text)).toEqual([
      'Let me check that for you',
      'One moment.',
      'It is booked.',
    ]);
    expect(h.types()).toContain('function_calls_started');
  });
});
