import { randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { text } from 'node:stream/consumers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RecordingPathError, recordingPath, recordingRelativePath } from '../src/recordings/paths.ts';
import { RecordingNotFoundError, RecordingStore } from '../src/recordings/store.ts';

const CALL_ID = '0f8fad5b-d9cb-469f-a165-70867728950e';
// 23:30 UTC on 31 December is already January in UTC+1 and still December in UTC-5: only UTC counts.
const NEW_YEARS_EVE = new Date(Date.UTC(2024, 11, 31, 23, 30));

describe('recordingPath', () => {
  it('names <root>/YYYY/MM/<callId>.wav from the UTC date', () => {
    expect(recordingPath('/srv/recordings', CALL_ID, NEW_YEARS_EVE)).toBe(
      path.join('/srv/recordings', '2024', '12', `${CALL_ID}.wav`),
    );
    expect(recordingPath('/srv/recordings', CALL_ID, new Date(Date.UTC(2025, 0, 1, 0, 0)))).toBe(
      path.join('/srv/recordings', '2025', '01', `${CALL_ID}.wav`),
    );
    expect(recordingRelativePath(CALL_ID.toUpperCase(), NEW_YEARS_EVE)).toBe(`2024/12/${CALL_ID}.wav`);
  });

  it('refuses a call id that is not a UUID, so it cannot climb out of the root', () => {
    for (const callId of ['../../etc/passwd', `${CALL_ID}/../../x`, '', 'abc']) {
      expect(() => recordingPath('/srv/recordings', callId, NEW_YEARS_EVE)).toThrow(RecordingPathError);
    }
  });

  it('refuses an invalid date', () => {
    expect(() => recordingPath('/srv/recordings', CALL_ID, new Date(Number.NaN))).toThrow(RangeError);
  });
});

describe('RecordingStore', () => {
  let dir: string;
  let root: string;
  let store: RecordingStore;
  let file: string;
  const content = 'RIFF....WAVEfmt 0123456789abcdef';

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'parley-recordings-'));
    root = path.join(dir, 'recordings');
    store = new RecordingStore(root, { cwd: dir });
    file = store.pathFor(CALL_ID, NEW_YEARS_EVE);
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, content);
    await writeFile(path.join(dir, 'secret.txt'), 'not a recording');
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('names files inside its (absolute) root and stores them root-relative', () => {
    expect(file).toBe(path.join(root, '2024', '12', `${CALL_ID}.wav`));
    expect(store.toStoredPath(file)).toBe(`2024/12/${CALL_ID}.wav`);
    expect(() => store.toStoredPath(path.join(dir, 'secret.txt'))).toThrow(RecordingPathError);
  });

  it('finds a recording from a root-relative, absolute or working-directory-relative stored path', async () => {
    for (const stored of [`2024/12/${CALL_ID}.wav`, file, `recordings/2024/12/${CALL_ID}.wav`]) {
      const info = await store.stat(stored);
      expect(info?.sizeBytes).toBe(content.length);
      expect(info?.path.endsWith(path.join('2024', '12', `${CALL_ID}.wav`))).toBe(true);
    }
  });

  it('returns undefined for a missing file or a directory', async () => {
    expect(await store.stat(`2024/12/${randomUUID()}.wav`)).toBeUndefined();
    expect(await store.stat('2024/12')).toBeUndefined();
  });

  it('refuses stored paths that lead outside the root', async () => {
    for (const stored of [
      '../secret.txt',
      '2024/../../secret.txt',
      path.join(dir, 'secret.txt'),
      '/etc/passwd',
      '',
      '.',
      'a\0b',
    ]) {
      await expect(store.stat(stored), stored).rejects.toThrow(RecordingPathError);
      await expect(store.open(stored), stored).rejects.toThrow(RecordingPathError);
    }
  });

  it('refuses a symlink inside the root that points outside it', async () => {
    await symlink(path.join(dir, 'secret.txt'), path.join(root, 'link.wav'));
    await expect(store.stat('link.wav')).rejects.toThrow(RecordingPathError);
  });

  it('opens a recording whole or as an inclusive byte range', async () => {
    const whole = await store.open(`2024/12/${CALL_ID}.wav`);
    expect(await text(whole.stream)).toBe(content);
    const part = await store.open(file, { start: 4, end: 11 });
    expect(await text(part.stream)).toBe(content.slice(4, 12));
    expect(await readFile(file, 'utf8')).toBe(content);
  });

  it('throws RecordingNotFoundError for a missing file and RangeError for a range past the end', async () => {
    await expect(store.open(`2024/12/${randomUUID()}.wav`)).rejects.toThrow(RecordingNotFoundError);
    await expect(store.open(file, { start: 0, end: content.length })).rejects.toThrow(RangeError);
    await expect(store.open(file, { start: 5, end: 4 })).rejects.toThrow(RangeError);
  });

  it('finds nothing when the root does not exist yet', async () => {
    const empty = new RecordingStore(path.join(dir, 'not-created'));
    expect(await empty.stat(`2024/12/${CALL_ID}.wav`)).toBeUndefined();
  });
});
