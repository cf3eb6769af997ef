import { describe, expect, it } from 'vitest';
import { frame } from '../src/frames/frames.ts';
import { ProcessorHarness } from '../src/testing/harness.ts';
import { MarkdownFilter } from '../src/text/markdown-filter.ts';
import { stripMarkdown } from '../src/text/strip-markdown.ts';

describe('stripMarkdown', () => {
  it.each([
    [
      'bold and italics',
      'This is **very** *important* and __bold__ and _soft_.',
      'This is very important and bold and soft.',
    ],
    ['inline code', 'Run `npm install` first.', 'Run npm install first.'],
    ['headings', '## Opening hours ##', 'Opening hours'],
    ['links keep their text', 'See [our site](https://example.com/a_(b)) today.', 'See our site today.'],
    ['images keep their alt text', 'Look: ![a map](map.png).', 'Look: a map.'],
    ['autolinks keep the address', 'Visit <https://parley.dev> now.', 'Visit https://parley.dev now.'],
    ['bullets', '- **Mon–Fri**: 9 to 5', 'Mon–Fri: 9 to 5'],
    ['star and plus bullets, task boxes', '* [x] Paid', 'Paid'],
    ['numbered-list markers', '2. Tap Pay.', 'Tap Pay.'],
    ['block quotes', '> Quoted line.', 'Quoted line.'],
    ['table rows', '| Basic | $29.95/month |', 'Basic, $29.95/month'],
    ['strike-through', '~~$40~~ $30 now.', '$40 $30 now.'],
    ['simple HTML', 'Line<br>two and <b>bold</b>.', 'Line two and bold.'],
    ['emoji', 'Great news 🎉! You are set 👍🏽.', 'Great news! You are set.'],
  ])('removes %s', (_name, input, expected) => {
    expect(stripMarkdown(input)).toBe(expected);
  });

  it('drops lines that are only syntax', () => {
    for (const line of ['---', '***', '|---|:---:|', '```ts', '```']) expect(stripMarkdown(line)).toBe('');
  });

  it('keeps sentence punctuation, decimals, prices, snake_case and arithmetic stars', () => {
    const plain = 'It costs $29.95/month, or 3.5% less! Really? Set max_retries to 2 * 3.';
    expect(stripMarkdown(plain)).toBe(plain);
  });

  it('cleans emphasis cut in two by a sentence split', () => {
    expect(stripMarkdown('**Half of a bold sentence.')).toBe('Half of a bold sentence.');
    expect(stripMarkdown('And the rest.**')).toBe('And the rest.');
  });

  it('keeps emoji when asked', () => {
    expect(stripMarkdown('Done 👍', { removeEmoji: false })).toBe('Done 👍');
  });

  it('handles several lines at once', () => {
    expect(stripMarkdown('# Plans\n\n1. **Basic**\n2. [Pro](https://x.y)')).toBe('Plans\nBasic\nPro');
  });
});

describe('MarkdownFilter', () => {
  it('rewrites tts_speak text and passes other frames unchanged', async () => {
    const h = new ProcessorHarness(new MarkdownFilter());
    await h.start();
    const text = frame('llm_text', { text: '**raw**' });
    h.send(text);
    h.send(frame('tts_speak', { text: '1. **Open** the [app](https://a.b).' }));
    const plain = frame('tts_speak', { text: 'Nothing to strip.' });
    h.send(plain);
    expect(h.downstream).toContain(text);
    expect(h.downstream).toContain(plain);
    expect(h.ofType('tts_speak').map((f) => f.text)).toEqual(['Open the app.', 'Nothing to strip.']);
  });

  it('drops sentences left with nothing to say', async () => {
    const h = new ProcessorHarness(new MarkdownFilter());
    await h.start();
    for (const t of ['---', '🎉', '| --- | --- |']) h.send(frame('tts_speak', { text: t }));
    expect(h.ofType('tts_speak')).toEqual([]);
  });

  it('keeps a rewritten frame’s uninterruptible flag', async () => {
    const h = new ProcessorHarness(new MarkdownFilter());
    await h.start();
    h.send(frame('tts_speak', { text: '*Please hold.*', uninterruptible: true }));
    expect(h.ofType('tts_speak')[0]).toMatchObject({ text: 'Please hold.', uninterruptible: true });
  });
});
