/**
 * A browser test call ends when the credential that asked for it does: logging out stops the
 * call and its live transcript, and so does revoking the API key; another user's call goes on.
 */
import { describe, expect, it } from 'vitest';
import { CSRF_HEADER } from '../src/auth/csrf.ts';
import { createUser, type SignedIn, signIn } from './helpers/auth.ts';
import { BrowserCaller } from './helpers/browser-caller.ts';
import { type FakeServicesServer, finishedCall, putAgent, useFakeServicesServer } from './helpers/fakes.ts';

/** Ended at once on this server: generous for a loaded machine, far below a call's length. */
const PROMPT_MS = 5000;

let started: FakeServicesServer;
let alice: SignedIn;
let bob: SignedIn;

/** Starts a test call as the signed-in `who`, or with API key `headers`, and waits for the greeting. */
/** Resolves with the close of `page`, or `undefined` if it is still open after {@link PROMPT_MS}. */
function closedPromptly(page: BrowserCaller): Promise<{ code: number } | undefined> {
  return Promise.race([
    page.closed,
    new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), PROMPT_MS)),
  ]);
}

async function call(
  who: SignedIn | { authorization: string },
): Promise<{ page: BrowserCaller; callId: string }> {
  const signedIn = 'cookie' in who;
  const res = await started.server.parley.app.inject({
    method: 'POST',
    url: '/api/agents/logout-agent/browser-call',
    headers: signedIn ? { cookie: who.cookie, [CSRF_HEADER]: who.csrfToken } : who,
  });
  expect(res.statusCode, res.body).toBe(201);
  const { url, callId } = res.json<{ url: string; callId: string }>();
  const page = await BrowserCaller.connect(
    started.server.wsUrl + url,
    signedIn ? { cookie: who.cookie } : {},
  );
  page.start();
  await page.waitFor(() => page.events('transcript').length > 0, 20_000, 'the greeting');
  return { page, callId };
}

describe('browser test calls, once their session ends', () => {
  useFakeServicesServer(
    async (s) => {
      started = s;
      await putAgent(s.server, 'logout-agent', { greeting: 'Hello, still here.' });
      await createUser(s.server.database, 'call-alice', 'editor', 'alice-long-password');
      await createUser(s.server.database, 'call-bob', 'editor', 'bob-long-password');
      alice = await signIn(s.server.parley.app, 'call-alice', 'alice-long-password');
      bob = await signIn(s.server.parley.app, 'call-bob', 'bob-long-password');
    },
    { LOG_LEVEL: 'error' },
  );

  it("ends the call at logout, stored as session_ended; another user's call goes on", async () => {
    const mine = await call(alice);
    const theirs = await call(bob);
    const logout = await started.server.parley.app.inject({
      method: 'POST',
      url: '/api/auth/logout',
      headers: { cookie: alice.cookie, [CSRF_HEADER]: alice.csrfToken },
    });
    expect(logout.statusCode).toBe(204);

    expect((await closedPromptly(mine.page))?.code).toBe(1000);
    const stored = await finishedCall(started.server, (c) => c.id === mine.callId);
    expect(stored.endReason).toBe('session_ended');

    expect(started.server.parley.active.has(theirs.callId)).toBe(true);
    theirs.page.stop();
    expect((await theirs.page.closed).code).toBe(1000);
  }, 60_000);

  it('ends the call when the API key that asked for it is revoked', async () => {
    const created = await started.server.parley.app.inject({
      method: 'POST',
      url: '/api/api-keys',
      headers: { ...started.server.adminHeaders, 'content-type': 'application/json' },
      payload: JSON.stringify({ name: 'test-call script', role: 'editor' }),
    });
    expect(created.statusCode).toBe(201);
    const { id, key } = created.json<{ id: string; key: string }>();
    const keyed = await call({ authorization: `Bearer ${key}` });
    const revoked = await started.server.parley.app.inject({
      method: 'DELETE',
      url: `/api/api-keys/${id}`,
      headers: started.server.adminHeaders,
    });
    expect(revoked.statusCode).toBe(204);
    expect((await closedPromptly(keyed.page))?.code).toBe(1000);
    const stored = await finishedCall(started.server, (c) => c.id === keyed.callId);
    expect(stored.endReason).toBe('api_key_revoked');
  }, 60_000);
});
