import { afterEach, describe, expect, it } from 'vitest';
import { type CredentialLookup, CredentialWatch } from '../src/auth/credential-watch.ts';
import type { Authentication } from '../src/auth/principal.ts';
import type { Role } from '../src/auth/roles.ts';

const session = (idHash: string, userId: string): Authentication => ({
  via: 'session',
  principal: { type: 'user', id: userId, name: userId, role: 'editor' },
  sessionIdHash: idHash,
  csrfSecret: 'secret',
  expiresAt: new Date('2030-01-01T00:00:00Z'),
});
const apiKey = (id: string): Authentication => ({
  via: 'api_key',
  principal: { type: 'api_key', id, name: id, role: 'viewer' },
});

/** A lookup over two maps the test changes, counting its queries. */
function fakeLookup() {
  const sessions = new Map<string, Role>();
  const keys = new Map<string, Role>();
  const queries = { sessions: 0, keys: 0 };
  let failing = false;
  const lookup: CredentialLookup = {
    async liveSessions(ids) {
      queries.sessions++;
      if (failing) throw new Error('database down');
      return new Map(ids.flatMap((id) => (sessions.has(id) ? [[id, sessions.get(id)!] as const] : [])));
    },
    async activeApiKeys(ids) {
      queries.keys++;
      if (failing) throw new Error('database down');
      return new Map(ids.flatMap((id) => (keys.has(id) ? [[id, keys.get(id)!] as const] : [])));
    },
  };
  return { lookup, sessions, keys, queries, fail: () => (failing = true) };
}

let watch: CredentialWatch | undefined;
afterEach(() => watch?.close());

describe('CredentialWatch', () => {
  it('ends at once what an ended session or a revoked key keeps open, and nothing else', () => {
    const { lookup } = fakeLookup();
    watch = new CredentialWatch(lookup);
    const ended: string[] = [];
    watch.watch(session('s1', 'alice'), 'viewer', () => ended.push('alice s1'));
    watch.watch(session('s2', 'alice'), 'viewer', () => ended.push('alice s2'));
    watch.watch(session('s3', 'bob'), 'viewer', () => ended.push('bob s3'));
    watch.watch(apiKey('k1'), 'viewer', () => ended.push('k1'));
    watch.watch(apiKey('k2'), 'viewer', () => ended.push('k2'));

    watch.sessionsEnded({ idHash: 's1' });
    expect(ended).toEqual(['alice s1']);
    watch.sessionsEnded({ userId: 'bob', keepIdHash: 's3' }); // a password change from s3
    expect(ended).toEqual(['alice s1']);
    watch.sessionsEnded({ userId: 'alice' });
    watch.apiKeyRevoked('k1');
    watch.apiKeyRevoked('k1');
    expect(ended).toEqual(['alice s1', 'alice s2', 'k1']);
  });

  it('re-checks every watched credential with one query per kind, ending the invalid and the demoted', async () => {
    const { lookup, sessions, keys, queries } = fakeLookup();
    watch = new CredentialWatch(lookup, { recheckMs: 60_000 });
    sessions.set('s1', 'editor').set('s2', 'editor').set('s3', 'editor');
    keys.set('k1', 'viewer');
    const ended: string[] = [];
    for (const id of ['s1', 's2', 's3'])
      watch.watch(session(id, `user-${id}`), 'editor', () => ended.push(id));
    watch.watch(apiKey('k1'), 'viewer', () => ended.push('k1'));

    await watch.recheck();
    expect(ended).toEqual([]);
    sessions.delete('s1'); // expired, or logged out on another process
    sessions.set('s2', 'viewer'); // demoted below what the stream needs
    keys.delete('k1'); // revoked elsewhere
    await watch.recheck();
    expect(ended.sort()).toEqual(['k1', 's1', 's2']);
    expect(queries).toEqual({ sessions: 2, keys: 2 });
  });

  it("re-checks a user's streams at once when their role changes", async () => {
    const { lookup, sessions } = fakeLookup();
    watch = new CredentialWatch(lookup, { recheckMs: 60_000 });
    sessions.set('s1', 'viewer');
    let ended = false;
    watch.watch(session('s1', 'alice'), 'editor', () => {
      ended = true;
    });
    watch.userChanged('alice');
    await expect.poll(() => ended, { timeout: 2000 }).toBe(true);
  });

  it('runs the re-check on one shared timer while something is watched, and fails closed', async () => {
    const { lookup, sessions, queries, fail } = fakeLookup();
    const errors: unknown[] = [];
    watch = new CredentialWatch(lookup, { recheckMs: 50, onError: (err) => errors.push(err) });
    sessions.set('s1', 'viewer').set('s2', 'viewer');
    const ended: string[] = [];
    const stop1 = watch.watch(session('s1', 'a'), 'viewer', () => ended.push('s1'));
    watch.watch(session('s2', 'b'), 'viewer', () => ended.push('s2'));
    await expect.poll(() => queries.sessions, { timeout: 5000 }).toBeGreaterThanOrEqual(2);
    expect(ended).toEqual([]);

    stop1();
    fail();
    await expect.poll(() => ended, { timeout: 5000 }).toEqual(['s2']); // s1 stopped watching: not ended
    expect(errors.length).toBeGreaterThanOrEqual(1);
    // Nothing watched: the timer has stopped.
    const after = queries.sessions;
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(queries.sessions).toBe(after);
  });
});
