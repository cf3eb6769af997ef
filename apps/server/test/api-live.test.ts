import { checkLocalEngines } from '@parley/services';
import { describe, expect, it } from 'vitest';
import { AuditLogRepository } from '../src/db/audit-log.ts';
import type { LiveStreamMessage } from '../src/routes/api-live.ts';
import { dialTwilio } from './helpers/answer.ts';
import { apiKeyHeaders, createUser, signIn } from './helpers/auth.ts';
import { untilQuiet, useSpeechServer, words } from './helpers/e2e.ts';
import { speech8k } from './helpers/fakes.ts';
import { openLiveStream } from './helpers/live-stream.ts';

const engines = await checkLocalEngines();

type EventMessage = Extract<LiveStreamMessage, { kind: 'event' }>;
const isEvent =
  (callId: string, type: string) =>
  (m: LiveStreamMessage): m is EventMessage =>
    m.kind === 'event' && m.callId === callId && m.event.type === type;
const isStarted = (m: LiveStreamMessage): m is Extract<LiveStreamMessage, { kind: 'call_started' }> =>
  m.kind === 'call_started';

describe.skipIf(!engines.stt.ok || !engines.tts.ok)(
  'the live monitor (GET /api/live, POST /api/calls/:id/end)',
  () => {
    const speech = useSpeechServer(engines);

    it('streams a real call: snapshot, started, the transcript as spoken, ended; nothing the calls API lacks', async () => {
      const { server, llm } = speech;
      llm.reply({ text: 'Sure. Nobody is available right now, but I can take a message.' });
      const viewer = await apiKeyHeaders(server.database, 'viewer', 'live viewer');
      const stream = await openLiveStream(server.url, viewer);
      expect(stream.status).toBe(200);
      expect(stream.contentType).toMatch(/^text\/event-stream/);
      await stream.waitFor((m) => m.kind === 'snapshot');
      expect(stream.messages[0]).toEqual({ kind: 'snapshot', calls: [] });

      const sim = await dialTwilio(server);
      await sim.connect();
      sim.start();
      const started = await stream.waitFor(isStarted);
      const callId = started.call.id;
      expect(started.call).toMatchObject({ agentId: 'demo', provider: 'twilio', direction: 'inbound' });
      await sim.withSilence(() => untilQuiet(sim, 0));
      await sim.streamAudio(speech8k('ast-vm-nobodyavail'));
      const saidAt = sim.now();
      const spoke = await sim.withSilence(async () => {
        const line = await stream.waitFor(isEvent(callId, 'user_spoke'));
        await untilQuiet(sim, saidAt);
        return line;
      });
      const heard = words(String(spoke.event.data.text));
      expect(
        heard.filter((w) => words('nobody is available to take your call').includes(w)).length,
      ).toBeGreaterThan(2);
      await stream.waitFor(isEvent(callId, 'turn'));
      sim.hangUp();
      await sim.closed();
      await stream.waitFor((m) => m.kind === 'call_ended' && m.callId === callId);

      const mine = stream.messages.filter(
        (m): m is EventMessage => m.kind === 'event' && m.callId === callId,
      );
      const types = mine.map((m) => m.event.type).filter((t) => t !== 'turn' && t !== 'transcript_partial');
      // (The agent may speak again, e.g. an idle prompt, before the caller hangs up.)
      expect(types.slice(0, 4)).toEqual(['call_started', 'agent_spoke', 'user_spoke', 'agent_spoke']);
      expect(types.at(-1)).toBe('call_ended');
      // The bot's words streamed as the caller heard them, before its line was complete.
      const firstPartial = mine.findIndex(
        (m) => m.event.type === 'transcript_partial' && m.event.data.role === 'assistant',
      );
      const firstLine = mine.findIndex((m) => m.event.type === 'agent_spoke');
      expect(firstPartial).toBeGreaterThanOrEqual(0);
      expect(firstPartial).toBeLessThan(firstLine);
      // Every stored kind of event streamed is the very event the calls API returns.
      await expect
        .poll(async () => (await server.parley.events.list(callId)).length)
        .toBeGreaterThanOrEqual(6);
      const stored = (await server.parley.events.list(callId)).map((e) => ({ type: e.type, data: e.data }));
      for (const m of mine.filter((m) => m.event.type !== 'transcript_partial')) {
        expect(stored).toContainEqual({ type: m.event.type, data: m.event.data });
      }
      const row = (await server.parley.calls.get(callId))!;
      expect(started.call).toMatchObject({ from: row.from, to: row.to, agentId: row.agentId });
      stream.close();
    }, 90_000);

    it('gives a new monitor a snapshot of the calls in progress; an editor ends one, which is recorded', async () => {
      const { server } = speech;
      await createUser(server.database, 'live-editor', 'editor', 'live-editor-password-1');
      const editor = await signIn(server.parley.app, 'live-editor', 'live-editor-password-1');
      const sim = await dialTwilio(server);
      await sim.connect();
      sim.start();
      const closed = sim.closed();
      await sim.withSilence(async () => {
        await expect.poll(() => server.parley.live.liveCallIds().length, { timeout: 20_000 }).toBe(1);
        const callId = server.parley.live.liveCallIds()[0]!;
        // Once the greeting was said, a monitor opened now sees it in the snapshot.
        await untilQuiet(sim, 0);
        const stream = await openLiveStream(server.url, { cookie: editor.cookie });
        const snapshot = await stream.waitFor((m) => m.kind === 'snapshot');
        expect(snapshot).toMatchObject({
          kind: 'snapshot',
          calls: [{ call: { id: callId, agentId: 'demo' } }],
        });
        const calls = (snapshot as Extract<LiveStreamMessage, { kind: 'snapshot' }>).calls;
        expect(calls[0]!.events.map((e) => e.type)).toContain('agent_spoke');

        // A cookie session needs its CSRF token.
        const noCsrf = await fetch(`${server.url}/api/calls/${callId}/end`, {
          method: 'POST',
          headers: { cookie: editor.cookie },
        });
        expect(noCsrf.status).toBe(403);
        const res = await fetch(`${server.url}/api/calls/${callId}/end`, {
          method: 'POST',
          headers: { cookie: editor.cookie, 'x-csrf-token': editor.csrfToken },
        });
        expect(res.status).toBe(200);
        expect(await res.json()).toMatchObject({
          id: callId,
          status: 'completed',
          endReason: 'ended_by_user',
        });
        await stream.waitFor((m) => m.kind === 'call_ended' && m.callId === callId);
        expect(stream.messages.some(isEvent(callId, 'ended_by'))).toBe(true);
        stream.close();

        // The provider's stream was hung up, the end is in the call's events and the audit log.
        await closed;
        const events = await server.parley.events.list(callId);
        const endedBy = events.find((e) => e.type === 'ended_by');
        expect(endedBy?.data).toMatchObject({ type: 'user', name: 'live-editor' });
        expect(events.at(-1)?.type).toBe('call_ended');
        const audit = await new AuditLogRepository(server.database.db).list({ limit: 20, offset: 0 });
        expect(audit.entries).toEqual(
          expect.arrayContaining([
            expect.objectContaining({ action: 'call.end', target: { type: 'call', id: callId } }),
          ]),
        );

        // Ended: 409; unknown: 404.
        const again = await fetch(`${server.url}/api/calls/${callId}/end`, {
          method: 'POST',
          headers: server.adminHeaders,
        });
        expect(again.status).toBe(409);
        expect(await again.json()).toMatchObject({ error: { code: 'call_not_live' } });
      });
      const unknown = await fetch(`${server.url}/api/calls/00000000-0000-4000-8000-000000000000/end`, {
        method: 'POST',
        headers: server.adminHeaders,
      });
      expect(unknown.status).toBe(404);
    }, 90_000);

    it('refuses the stream without credentials and ending a call to a viewer', async () => {
      const { server } = speech;
      const anonymous = await fetch(`${server.url}/api/live`);
      expect(anonymous.status).toBe(401);
      const viewer = await apiKeyHeaders(server.database, 'viewer', 'live viewer 2');
      const refused = await fetch(`${server.url}/api/calls/00000000-0000-4000-8000-000000000000/end`, {
        method: 'POST',
        headers: viewer,
      });
      expect(refused.status).toBe(403);
      expect(await refused.json()).toMatchObject({ error: { code: 'forbidden' } });
    });

    it('leaves no listener behind when monitors disconnect', async () => {
      const { server } = speech;
      const before = server.parley.live.listenerCount;
      const streams = await Promise.all([1, 2, 3].map(() => openLiveStream(server.url, server.adminHeaders)));
      for (const s of streams) await s.waitFor((m) => m.kind === 'snapshot');
      expect(server.parley.live.listenerCount).toBe(before + 3);
      for (const s of streams) s.close();
      await expect.poll(() => server.parley.live.listenerCount, { timeout: 10_000 }).toBe(before);
    });
  },
);
