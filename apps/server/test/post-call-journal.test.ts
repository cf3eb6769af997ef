import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PostCallJournal } from '../src/durability/post-call-journal.ts';

const quiet = { warn: () => {}, error: () => {}, info: () => {} };

describe('the post-call journal', () => {
  let dir: string;
  let file: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'parley-post-call-'));
    file = path.join(dir, 'journal', 'post-call.jsonl');
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const lines = async () =>
    (await readFile(file, 'utf8'))
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Record<string, unknown>);

  it('keeps work that was due and not done for the next start, and empties itself when all is done', async () => {
    const journal = new PostCallJournal(file, quiet);
    expect(await journal.open()).toEqual([]);
    await journal.due('call-a');
    await journal.due('call-b');
    await journal.run('call-a', async () => {});
    // call-b's work never ran (a crash): it is due at the next start, as a retry.
    expect(await lines()).toEqual([
      { kind: 'post_call_due', callId: 'call-a' },
      { kind: 'post_call_due', callId: 'call-b' },
      { kind: 'post_call_done', callId: 'call-a' },
    ]);
    const next = new PostCallJournal(file, quiet);
    expect(await next.open()).toEqual(['call-b']);
    expect(await lines()).toEqual([{ kind: 'post_call_due', callId: 'call-b', retry: true }]);
    await next.run('call-b', async () => {
      throw new Error('the webhook answered 500'); // a failure is done too: it is not retried
    });
    await next.settled(5000);
    expect(await readFile(file, 'utf8')).toBe('');
  });

  it('runs work again only once: a retry cut short by another crash is dropped', async () => {
    await new PostCallJournal(file, quiet).open(); // creates the folder
    await writeFile(
      file,
      `${JSON.stringify({ kind: 'post_call_due', callId: 'retried', retry: true })}\n` +
        `${JSON.stringify({ kind: 'post_call_due', callId: 'fresh' })}\n{"kind":"post_ca`,
    );
    const warnings: string[] = [];
    const journal = new PostCallJournal(file, { ...quiet, warn: (_o, msg) => warnings.push(msg) });
    expect(await journal.open()).toEqual(['fresh']);
    expect(warnings).toEqual([
      'skipped a post-call journal line cut short by a crash',
      'post-call work was retried once already and is dropped',
    ]);
  });

  it('waits for work under way when settling, at most the time given (the rest stays due)', async () => {
    const journal = new PostCallJournal(file, quiet);
    await journal.open();
    let finish: () => void = () => {};
    await journal.due('slow');
    void journal.run('slow', () => new Promise<void>((resolve) => (finish = resolve)));
    await journal.due('quick');
    let quickDone = false;
    void journal.run('quick', async () => {
      await new Promise((resolve) => setTimeout(resolve, 200));
      quickDone = true;
    });
    expect(journal.inFlight).toBe(2);
    await journal.settled(1500);
    expect(quickDone).toBe(true);
    expect(journal.inFlight).toBe(1);
    expect(await new PostCallJournal(file, quiet).open()).toEqual(['slow']);
    finish();
  });
});
