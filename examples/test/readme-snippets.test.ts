import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '../..');
const READMES = [
  'packages/pipeline/README.md',
  'packages/services/README.md',
  'packages/telephony/README.md',
];

interface Snippet {
  readonly file: string;
  readonly region: string | undefined;
  readonly code: string;
}

/** Every `<!-- snippet: file[#region] -->` marker of a README, with the ```ts block after it. */
function snippetsOf(readme: string): Snippet[] {
  const text = readFileSync(path.join(ROOT, readme), 'utf8');
  const marker = /<!-- snippet: ([^\s#]+)(?:#(\S+))? -->\n```ts\n([\s\S]*?)```/g;
  return [...text.matchAll(marker)].map((m) => ({ file: m[1]!, region: m[2], code: m[3]! }));
}

/** What a snippet must show: the whole file (without its "The example of" line) or one region, dedented. */
function sourceOf({ file, region }: Snippet): string {
  const text = readFileSync(path.join(ROOT, file), 'utf8');
  if (!region) return text.replace(/^\/\/ The example of .*\n/, '');
  const match = new RegExp(`// #region ${region}\\n([\\s\\S]*?)\\n[ \\t]*// #endregion ${region}`).exec(text);
  if (!match) throw new Error(`${file} has no region "${region}"`);
  const lines = match[1]!.split('\n');
  const indent = Math.min(...lines.filter((l) => l.trim()).map((l) => /^ */.exec(l)![0].length));
  return `${lines.map((l) => l.slice(indent)).join('\n')}\n`;
}

describe('the packages’ READMEs', () => {
  for (const readme of READMES) {
    it(`${readme} shows its example code exactly as the tested files have it`, () => {
      const snippets = snippetsOf(readme);
      expect(snippets.length).toBeGreaterThan(0);
      for (const s of snippets) expect(s.code, `${readme}: ${s.file}`).toBe(sourceOf(s));
    });
  }
});

describe('the README examples run', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('services: an LLM calls a tool, then Flite speaks its two sentences', async () => {
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    await import('../snippets/services-readme.ts');
    expect(String(log.mock.calls[0]?.[0])).toMatch(/^said \["It is noon\.","Anything else\?"\] in \d+\.\d s/);
    expect(log.mock.calls[1]?.[0]).toEqual(['user', 'assistant', 'tool']);
  });

  it('telephony: TwiML, a signature check and a Twilio stream through the serializer', async () => {
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    await import('../snippets/telephony-readme.ts');
    const printed = log.mock.calls.map((args) => args.map(String).join(' '));
    expect(printed[0]).toContain('<Stream url="wss://example.com/ws/twilio/support-bot">');
    expect(printed[1]).toBe('true');
    expect(printed[3]).toBe('160');
  });
});
