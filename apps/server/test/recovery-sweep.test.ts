import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CallEventRepository } from '../src/db/call-events.ts';
import { CallRepository } from '../src/db/calls.ts';
import type { Database } from '../src/db/database.ts';
import { ServerRegistry } from '../src/db/servers.ts';
import { CallRecovery } from '../src/durability/call-recovery.ts';
import { RecordingRetention } from '../src/durability/recording-retention.ts';
import { RecordingStore } from '../src/recordings/store.ts';
import { openTestDatabase } from './helpers/db.ts';

const quiet = { info() {}, warn() {} };

describe('the lost-call sweep and recording retention', () => {
  let database: Database;
  let dir: string;
  let recordings: RecordingStore;
  beforeAll(async () => {
    database = await openTestDatabase();
    dir = await mkdtemp(path.join(tmpdir(), 'parley-sweep-'));
    recordings = new RecordingStore(dir);
  }, 60_000);
  afterAll(async () => {
    await database?.close();
    await rm(dir, { recursive: true, force: true });
  });

  const recovery = (serverId: string) =>
    new CallRecovery({
      db: database.db,
      calls: new CallRepository(database.db, serverId),
      events: new CallEventRepository(database.db),
      servers: new ServerRegistry(database.db),
      recordings,
      serverId,
      embedded: false,
      logger: quiet,
      staleSecs: 30,
      ringingDeadlineSecs: 600,
    });

  // Several server processes share only a PostgreSQL database (PGlite has one process).
  const multiProcess = process.env.DATABASE_URL ? it : it.skip;

  multiProcess(
    'leaves the calls of live servers alone, ends a call ringing past its deadline as no_stream',
    async () => {
      const servers = new ServerRegistry(database.db);
      await servers.beat('alive');
      const calls = new CallRepository(database.db, 'alive');
      const fresh = await calls.create({ provider: 'twilio', direction: 'inbound' });
      const old = await calls.create({ provider: 'twilio', direction: 'inbound' });
      await sql`update calls set created_at = now() - interval '11 minutes' where id = ${old.id}`.execute(
        database.db,
      );
      const streaming = await calls.create({ provider: 'twilio', direction: 'inbound' });
      await calls.markInProgress(streaming.id, { streamId: 'MZ1', startedAt: new Date() });

      expect(await recovery('me').sweep(() => false)).toBe(1);
      expect((await calls.get(fresh.id))?.status).toBe('ringing');
      expect(await calls.get(old.id)).toMatchObject({ status: 'failed', endReason: 'no_stream' });
      expect((await calls.get(streaming.id))?.status).toBe('in_progress');
    },
  );

  multiProcess(
    'never ends a call this process still runs, and ends one whose server stopped beating',
    async () => {
      const calls = new CallRepository(database.db, 'gone');
      const lost = await calls.create({ provider: 'twilio', direction: 'inbound' });
      await calls.markInProgress(lost.id, { streamId: 'MZ2', startedAt: new Date() });
      const mine = await new CallRepository(database.db, 'me').create({
        provider: 'twilio',
        direction: 'inbound',
      });
      await new CallRepository(database.db, 'me').markInProgress(mine.id, {
        streamId: 'MZ3',
        startedAt: new Date(),
      });
      await new CallEventRepository(database.db).append(lost.id, [
        { type: 'user_spoke', at: new Date(), data: { text: 'hello', atMs: 1200 } },
      ]);

      expect(await recovery('me').sweep((id) => id === mine.id)).toBe(1);
      const ended = await calls.get(lost.id);
      expect(ended).toMatchObject({ status: 'failed', endReason: 'server_lost' });
      expect(ended?.transcript).toEqual([{ role: 'user', text: 'hello', atMs: 1200 }]);
      expect((await calls.get(mine.id))?.status).toBe('in_progress');
    },
  );

  it('deletes recordings of calls ended longer ago than the retention, and keeps newer ones', async () => {
    const calls = new CallRepository(database.db);
    const oldCall = await calls.create({ provider: 'twilio', direction: 'inbound' });
    const newCall = await calls.create({ provider: 'twilio', direction: 'inbound' });
    const files = [oldCall, newCall].map((c) => recordings.pathFor(c.id, new Date()));
    for (const f of files) {
      await mkdir(path.dirname(f), { recursive: true });
      await writeFile(f, 'RIFF');
    }
    await calls.finish(oldCall.id, {
      status: 'completed',
      endedAt: new Date(Date.now() - 40 * 86_400_000),
      recordingPath: recordings.toStoredPath(files[0]!),
    });
    await calls.finish(newCall.id, {
      status: 'completed',
      recordingPath: recordings.toStoredPath(files[1]!),
    });

    expect(await new RecordingRetention(database.db, recordings, 30, quiet).run()).toBe(1);
    expect(existsSync(files[0]!)).toBe(false);
    expect((await calls.get(oldCall.id))?.recordingPath).toBeNull();
    expect(existsSync(files[1]!)).toBe(true);
    expect((await calls.get(newCall.id))?.recordingPath).toBeTruthy();
  });
});
