import path from 'node:path';
import { readWav } from '@parley/pipeline';
import { BROWSER_CLOSE_CODES } from '@parley/telephony';
import { describe, expect, it } from 'vitest';
import { createUser, type SignedIn, signIn } from './helpers/auth.ts';
import { BrowserCaller } from './helpers/browser-caller.ts';
import {
  type FakeServicesServer,
  finishedCall,
  putAgent,
  putBargeInAgent,
  useFakeServicesServer,
} from './helpers/fakes.ts';
import type { TestServer } from './helpers/server.ts';

const SPEECH_16K = path.resolve(import.meta.dirname, '../../../test-fixtures/speech/16k');
const goForward = readWav(path.join(SPEECH_16K, 'goforward.wav'));

interface Issued {
  callId: string;
  token: string;
  url: string;
  expiresInSecs: number;
}

/** `POST /api/agents/:agent/browser-call` as the signed-in `who` (with its CSRF token unless `csrf` is false). */
function requestCall(server: TestServer, agent: string, who: SignedIn, csrf = true) {
  return server.parley.app.inject({
    method: 'POST',
    url: `/api/agents/${agent}/browser-call`,
    headers: { cookie: who.cookie, ...(csrf ? { 'x-csrf-token': who.csrfToken } : {}) },
  });
}

async function issue(server: TestServer, agent: string, who: SignedIn): Promise<Issued> {
  const res = await requestCall(server, agent, who);
  expect(res.statusCode, res.body).toBe(201);
  return res.json<Issued>();
}

/** The refusals these tests provoke are logged as warnings: keep the output quiet. */
const QUIET = { LOG_LEVEL: 'error' };

let started: FakeServicesServer;
let editor: SignedIn;
let viewer: SignedIn;

describe('browser test calls', () => {
  useFakeServicesServer(async (s) => {
    started = s;
    await putAgent(s.server, 'browser-agent', { greeting: 'Hello from the browser test.' }, [
      'go forward ten meters',
    ]);
    await putAgent(s.server, 'other-agent');
    await createUser(s.server.database, 'browser-editor', 'editor', 'browser-editor-password');
    await createUser(s.server.database, 'browser-viewer', 'viewer', 'browser-viewer-password');
    editor = await signIn(s.server.parley.app, 'browser-editor', 'browser-editor-password');
    viewer = await signIn(s.server.parley.app, 'browser-viewer', 'browser-viewer-password');
  }, QUIET);

  it('runs a real-speech call from the page and stores it with its transcript', async () => {
    const { server, llm } = started;
    llm.reply({ text: 'Going forward ten meters now.' });
    const issued = await issue(server, 'browser-agent', editor);
    expect(issued.url).toBe(`/ws/browser/browser-agent?callId=${issued.callId}&token=${issued.token}`);
    expect(issued.expiresInSecs).toBe(15);

    const page = await BrowserCaller.connect(server.wsUrl + issued.url, { cookie: editor.cookie });
    page.start();
    const finals = (role: string) =>
      page.events('transcript').filter((m) => m.role === role && m.final === true);
    await page.waitFor(() => finals('bot').length >= 1, 20_000, 'the greeting');
    expect(finals('bot')[0]!.text).toBe('Hello from the browser test.');

    // Refused messages get an error back; the call goes on.
    page.sendText('{"event":');
    page.sendBinary(new Uint8Array(641));
    await page.waitFor(() => page.events('error').length >= 2, 5000, 'the errors');
    expect(page.events('error').map((e) => e.code)).toEqual(['malformed_json', 'invalid_audio']);

    expect(goForward.sampleRateHz).toBe(16000);
    await page.say(goForward.pcm);
    await page.waitFor(() => finals('bot').length >= 2, 30_000, 'the reply');
    expect(finals('user').map((m) => m.text)).toEqual(['go forward ten meters']);
    expect(finals('bot')[1]!.text).toBe('Going forward ten meters now.');
    // Provisional bot lines came before the final one.
    expect(page.events('transcript').some((m) => m.role === 'bot' && m.final === false)).toBe(true);
    // Bot audio: 20 ms binary frames of 16 kHz 16-bit PCM.
    expect(page.audio.length).toBeGreaterThan(50);
    expect(page.audio.every((a) => a.bytes === 640)).toBe(true);
    expect(page.events('mark').length).toBeGreaterThanOrEqual(1);

    page.stop();
    expect((await page.closed).code).toBe(1000);

    const call = await finishedCall(server, (c) => c.id === issued.callId);
    expect(call).toMatchObject({
      provider: 'browser',
      direction: 'inbound',
      status: 'completed',
      endReason: 'caller_hung_up',
    });
    expect(call.providerMetadata).toMatchObject({ test: true, user: 'browser-editor', via: 'user' });
    expect(call.transcript.map((t) => [t.role, t.text])).toEqual([
      ['assistant', 'Hello from the browser test.'],
      ['user', 'go forward ten meters'],
      ['assistant', 'Going forward ten meters now.'],
    ]);
    expect(call.recordingPath).not.toBeNull();
    // The LLM heard the caller.
    expect(llm.requests.at(-1)!.messages.findLast((m) => m.role === 'user')?.content).toBe(
      'go forward ten meters',
    );

    // The token was good for one connection.
    const again = await BrowserCaller.connect(server.wsUrl + issued.url, { cookie: editor.cookie });
    expect(await again.closed).toEqual({
      code: BROWSER_CLOSE_CODES.tokenUsed,
      reason: 'call token already used',
    });
  }, 90_000);

  it('refuses a stream without a token, for another agent or session, or with a wrong token', async () => {
    const { server } = started;
    const refusedBefore = server.parley.refusals.snapshot().stream_refused;
    const none = await BrowserCaller.connect(`${server.wsUrl}/ws/browser/browser-agent`);
    expect((await none.closed).code).toBe(BROWSER_CLOSE_CODES.noToken);

    const issued = await issue(server, 'browser-agent', editor);
    const otherAgent = await BrowserCaller.connect(
      `${server.wsUrl}/ws/browser/other-agent?callId=${issued.callId}&token=${issued.token}`,
    );
    expect((await otherAgent.closed).code).toBe(BROWSER_CLOSE_CODES.tokenRefused);

    const wrongToken = await BrowserCaller.connect(
      `${server.wsUrl}/ws/browser/browser-agent?callId=${issued.callId}&token=${'0'.repeat(32)}`,
      { cookie: editor.cookie },
    );
    wrongToken.start();
    expect((await wrongToken.closed).code).toBe(BROWSER_CLOSE_CODES.tokenRefused);

    // The token is bound to the session that asked for it: not usable without its cookie.
    for (const headers of [{}, { cookie: viewer.cookie }] as Array<Record<string, string>>) {
      const elsewhere = await BrowserCaller.connect(server.wsUrl + issued.url, headers);
      expect(await elsewhere.closed).toEqual({
        code: BROWSER_CLOSE_CODES.tokenRefused,
        reason: 'the call belongs to another session',
      });
    }
    expect(server.parley.refusals.snapshot().stream_refused).toBe(refusedBefore + 5);

    // The right token still works after those tries.
    const page = await BrowserCaller.connect(server.wsUrl + issued.url, { cookie: editor.cookie });
    page.start();
    await page.waitFor(() => page.events('transcript').length > 0, 20_000, 'the greeting');
    page.stop();
    expect((await page.closed).code).toBe(1000);
  }, 60_000);

  it('tells the page to clear the bot audio when the caller barges in', async () => {
    const { server, llm } = started;
    await putBargeInAgent(server, llm, 'browser-barge');
    // An API key's token is bound to no session.
    const res = await server.parley.app.inject({
      method: 'POST',
      url: '/api/agents/browser-barge/browser-call',
      headers: server.adminHeaders,
    });
    expect(res.statusCode, res.body).toBe(201);
    const issued = res.json<Issued>();
    const page = await BrowserCaller.connect(server.wsUrl + issued.url);
    page.start();
    await page.say(goForward.pcm);
    const saidAt = page.now();
    await page.waitFor(() => page.audio.some((a) => a.atMs > saidAt), 20_000, 'the long reply');
    const replyAt = page.audio.find((a) => a.atMs > saidAt)!.atMs;
    await page.waitFor(() => page.now() > replyAt + 1500, 5000, '1.5 s of the reply');
    await page.say(goForward.pcm);
    await page.waitFor(() => page.events('clear').length > 0, 20_000, 'a clear');
    await page.waitFor(
      () => page.events('transcript').some((m) => m.role === 'user' && m.text === 'please check the number'),
      20_000,
      'the second turn',
    );
    page.stop();
    await page.closed;
    const call = await finishedCall(server, (c) => c.id === issued.callId);
    expect(call.transcript.filter((t) => t.role === 'user').map((t) => t.text)).toEqual([
      'go forward ten meters',
      'please check the number',
    ]);
    expect(call.providerMetadata).toMatchObject({ test: true, via: 'api_key' });
  }, 90_000);

  it('issues tokens to editors with the CSRF token only', async () => {
    const { server } = started;
    expect((await requestCall(server, 'browser-agent', viewer)).json()).toMatchObject({
      error: { code: 'forbidden' },
    });
    expect((await requestCall(server, 'browser-agent', editor, false)).json()).toMatchObject({
      error: { code: 'csrf_failed' },
    });
    const anonymous = await server.parley.app.inject({
      method: 'POST',
      url: '/api/agents/browser-agent/browser-call',
    });
    expect(anonymous.statusCode).toBe(401);
    const unknown = await requestCall(server, 'no-such-agent', editor);
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json()).toMatchObject({ error: { code: 'agent_not_found' } });
  });
});

describe('an unused browser call token', () => {
  let expiring: FakeServicesServer;
  useFakeServicesServer(
    async (s) => {
      expiring = s;
      await putAgent(s.server, 'browser-agent');
    },
    { ...QUIET, STREAM_WAIT_SECS: '1' },
  );

  it('expires with its call after the stream wait', async () => {
    const { server } = expiring;
    const res = await server.parley.app.inject({
      method: 'POST',
      url: '/api/agents/browser-agent/browser-call',
      headers: server.adminHeaders,
    });
    expect(res.statusCode, res.body).toBe(201);
    const issued = res.json<Issued>();
    expect(issued.expiresInSecs).toBe(1);
    const call = await finishedCall(server, (c) => c.id === issued.callId);
    expect(call).toMatchObject({ status: 'failed', endReason: 'no_stream', provider: 'browser' });
    const late = await BrowserCaller.connect(server.wsUrl + issued.url);
    expect(await late.closed).toEqual({
      code: BROWSER_CLOSE_CODES.tokenExpired,
      reason: 'call token expired',
    });
  }, 30_000);
});
