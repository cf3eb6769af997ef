import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import type { LocalEngineError } from '../src/errors.ts';
import { PocketsphinxProcess } from '../src/local/pocketsphinx-process.ts';

// A stand-in for pocketsphinx_continuous: runs until killed, so the test never needs the engine.
const dir = mkdtempSync(path.join(tmpdir(), 'parley-sphinx-group-'));
const binary = path.join(dir, 'fake-pocketsphinx');
writeFileSync(binary, '#!/bin/sh\nexec sleep 60\n');
chmodSync(binary, 0o755);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const OPTIONS = {
  binary,
  modelDir: dir,
  languageModelPath: dir,
  dictionaryPath: dir,
  sampleRateHz: 8000,
  vadPostspeechFrames: 50,
} as const;

describe('PocketsphinxProcess', () => {
  it('never signals its process group again once the group is gone (its id may be reused)', async () => {
    const failures: LocalEngineError[] = [];
    const proc = new PocketsphinxProcess(OPTIONS, {
      onUtterance: () => {},
      onFailure: (e) => failures.push(e),
    });
    const pid = (proc as unknown as { child: { pid: number } }).child.pid;
    await new Promise((r) => setTimeout(r, 200));
    process.kill(-pid, 'SIGKILL'); // the whole group dies outside our control
    await vi.waitFor(() => expect(failures).toHaveLength(1), { timeout: 10_000 });
    expect(failures[0]!.message).toMatch(/exited unexpectedly/);

    const kill = vi.spyOn(process, 'kill');
    try {
      await proc.close(50);
      await new Promise((r) => setTimeout(r, 100)); // past the SIGKILL grace
      expect(kill).not.toHaveBeenCalled();
    } finally {
      kill.mockRestore();
    }
  });

  it('kills a live group on close', async () => {
    const proc = new PocketsphinxProcess(OPTIONS, { onUtterance: () => {}, onFailure: () => {} });
    const pid = (proc as unknown as { child: { pid: number } }).child.pid;
    await new Promise((r) => setTimeout(r, 200));
    const kill = vi.spyOn(process, 'kill');
    try {
      await proc.close(); // resolves once the group's pipes closed: it is gone
      expect(kill).toHaveBeenCalledWith(-pid, 'SIGTERM');
    } finally {
      kill.mockRestore();
    }
  });
});
