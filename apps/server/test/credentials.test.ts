import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CredentialError, CredentialUnreadableError } from '../src/credentials/errors.ts';
import { moveInlineSecrets } from '../src/credentials/inline-secrets.ts';
import { openCredentialStore } from '../src/credentials/open.ts';
import type { CredentialStore } from '../src/credentials/store.ts';
import { AgentRepository } from '../src/db/agents.ts';
import type { Database } from '../src/db/database.ts';
import { TelephonySettingsRepository } from '../src/db/telephony-settings.ts';
import { SecretKeyError, secretKeyId } from '../src/security/secret-box.ts';
import { openTestDatabase } from './helpers/db.ts';

const OPENAI = 'https://api.openai.com';
const KEY_A = randomBytes(32);
const KEY_B = randomBytes(32);

const keySettings = (key: Buffer, previous: Buffer[] = []) => ({
  secretKey: key.toString('hex'),
  previousSecretKeys: previous.map((k) => k.toString('base64')),
  dataDir: tmpdir(),
});

describe('the credential store', () => {
  let database: Database;
  let store: CredentialStore;

  beforeAll(async () => {
    database = await openTestDatabase();
    store = await openCredentialStore(database.db, keySettings(KEY_A));
  }, 60_000);
  afterAll(async () => {
    await database?.close();
  });

  it('keeps values encrypted in the database, and gives them back to the server', async () => {
    await store.create({
      name: 'openai-main',
      kind: 'openai',
      value: { apiKey: 'sk-clear-1234' },
      destination: OPENAI,
    });
    const row = await database.db
      .selectFrom('credentials')
      .selectAll()
      .where('name', '=', 'openai-main')
      .executeTakeFirstOrThrow();
    const everything = [
      JSON.stringify(row),
      Buffer.from(row.ciphertext).toString('utf8'),
      Buffer.from(row.ciphertext).toString('latin1'),
    ].join('\n');
    expect(everything).not.toContain('sk-clear-1234');
    expect(row).toMatchObject({ kind: 'openai', destination: OPENAI, key_id: secretKeyId(KEY_A) });
    expect(await store.reveal('openai-main', 'openai', `${OPENAI}/v1`, 'test')).toEqual({
      apiKey: 'sk-clear-1234',
    });
  });

  it('refuses to hand a secret out for another destination or kind', async () => {
    await expect(
      store.reveal('openai-main', 'openai', 'https://attacker.example/v1', 'llm'),
    ).rejects.toMatchObject({
      code: 'secret_required',
    });
    await expect(store.reveal('openai-main', 'twilio', OPENAI, 'twilio')).rejects.toMatchObject({
      code: 'credential_kind_mismatch',
    });
    await expect(store.reveal('missing', 'openai', OPENAI, 'llm')).rejects.toMatchObject({
      code: 'credential_not_found',
    });
  });

  it('detects a row whose destination was rewritten in the database', async () => {
    await store.create({ name: 'tampered', kind: 'openai', value: { apiKey: 'sk-t' }, destination: OPENAI });
    await database.db
      .updateTable('credentials')
      .set({ destination: 'https://attacker.example' })
      .where('name', '=', 'tampered')
      .execute();
    const error = await store
      .reveal('tampered', 'openai', 'https://attacker.example', 'llm')
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CredentialUnreadableError);
    expect((error as Error).message).toMatch(/"tampered" cannot be decrypted: its stored row was altered/);
    await database.db.deleteFrom('credentials').where('name', '=', 'tampered').execute();
  });

  it('refuses values that do not fit the kind, and a name that is taken', async () => {
    await expect(
      store.create({
        name: 'bad',
        kind: 'twilio',
        value: { apiKey: 'x' },
        destination: 'https://api.twilio.com',
      }),
    ).rejects.toMatchObject({ code: 'invalid_credential' });
    await expect(
      store.create({ name: 'openai-main', kind: 'openai', value: { apiKey: 'x' }, destination: OPENAI }),
    ).rejects.toMatchObject({ code: 'credential_exists' });
  });

  it('refuses to delete a credential an agent or the telephony settings use, saying who', async () => {
    await store.create({
      name: 'tw',
      kind: 'twilio',
      value: { authToken: 't' },
      destination: 'https://api.twilio.com',
    });
    const agents = new AgentRepository(database.db);
    const settings = new TelephonySettingsRepository(database.db, store);
    await agents.upsert({
      id: 'user',
      name: 'User',
      config: {
        prompt: 'p',
        stt: { provider: 'fake' },
        tts: { provider: 'fake' },
        llm: { provider: 'openai', credential: 'openai-main' },
      },
    });
    await settings.put({
      defaultProvider: null,
      maxConcurrentCalls: null,
      twilio: { credential: 'tw' },
      exotel: {},
      vobiz: {},
    });
    const refused = (await store.delete('openai-main').catch((e: unknown) => e)) as CredentialError;
    expect(refused).toBeInstanceOf(CredentialError);
    expect(refused.code).toBe('credential_in_use');
    expect(refused.issues).toEqual(['agent user (llm)']);
    await expect(store.delete('tw')).rejects.toMatchObject({ issues: ['telephony settings (twilio)'] });
    expect((await settings.get()).twilio.authToken).toBe('t');

    await settings.put({
      defaultProvider: null,
      maxConcurrentCalls: null,
      twilio: {},
      exotel: {},
      vobiz: {},
    });
    await store.delete('tw');
    expect(await store.info('tw')).toBeUndefined();
  });

  it('refuses to store a secret in the telephony settings row itself', async () => {
    const settings = new TelephonySettingsRepository(database.db, store);
    const withSecret = { authToken: 'clear' } as unknown as { credential?: string };
    await expect(
      settings.put({
        defaultProvider: null,
        maxConcurrentCalls: null,
        twilio: withSecret,
        exotel: {},
        vobiz: {},
      }),
    ).rejects.toThrow(/authToken/);
  });
});

describe('the secret key at start-up', () => {
  let database: Database;

  beforeAll(async () => {
    database = await openTestDatabase();
    const store = await openCredentialStore(database.db, keySettings(KEY_A));
    await store.create({ name: 'rotated', kind: 'openai', value: { apiKey: 'sk-r' }, destination: OPENAI });
  }, 60_000);
  afterAll(async () => {
    await database?.close();
  });

  it('fails clearly with a key that did not encrypt the stored credentials', async () => {
    const error = await openCredentialStore(database.db, keySettings(KEY_B)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SecretKeyError);
    const message = (error as Error).message;
    expect(message).toContain('"rotated"');
    expect(message).toContain(secretKeyId(KEY_A));
    expect(message).toContain(secretKeyId(KEY_B));
    expect(message).toContain('PARLEY_SECRET_KEY');
  });

  it('re-encrypts with a new key when the old one is given as previous', async () => {
    const rotated = await openCredentialStore(database.db, keySettings(KEY_B, [KEY_A]));
    expect((await rotated.info('rotated'))?.keyId).toBe(secretKeyId(KEY_B));
    expect(await rotated.reveal('rotated', 'openai', OPENAI, 'test')).toEqual({ apiKey: 'sk-r' });
    // The old key alone no longer opens them.
    await expect(openCredentialStore(database.db, keySettings(KEY_A))).rejects.toThrow(SecretKeyError);
  });
});

describe('secrets stored in clear by earlier versions', () => {
  let database: Database;
  let dataDir: string;

  beforeAll(async () => {
    database = await openTestDatabase();
    dataDir = await mkdtemp(path.join(tmpdir(), 'parley-data-'));
  }, 60_000);
  afterAll(async () => {
    await database?.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('are moved into credentials bound to where they were sent, leaving no clear copy', async () => {
    const old = (llm: Record<string, unknown>) =>
      JSON.stringify({ prompt: 'p', stt: { provider: 'fake' }, tts: { provider: 'fake' }, llm });
    await database.db
      .insertInto('agents')
      .values([
        { id: 'old', name: 'Old', config: old({ provider: 'openai', apiKey: 'sk-old-clear' }) },
        {
          id: 'local',
          name: 'Local',
          config: old({
            provider: 'openai',
            apiKey: 'sk-local-clear',
            baseUrl: 'https://llm.example.com/v1',
          }),
        },
        { id: 'keyless', name: 'Keyless', config: old({ provider: 'openai' }) },
      ])
      .execute();
    await database.db
      .insertInto('telephony_settings')
      .values({
        id: 1,
        providers: JSON.stringify({
          twilio: {
            accountSid: `AC${'0'.repeat(32)}`,
            authToken: 'tw-clear',
            apiBaseUrl: 'https://twilio.example',
          },
          vobiz: { authId: 'MA1', authToken: 'vb-clear' },
          exotel: {},
        }),
      })
      .execute();
    const store = await openCredentialStore(database.db, {
      secretKey: undefined,
      previousSecretKeys: [],
      dataDir,
    });

    const moved = await moveInlineSecrets(database.db, store, 'https://proxy.example/v1');
    expect(moved.sort()).toEqual(['agent-local', 'agent-old', 'twilio', 'vobiz']);
    expect(await moveInlineSecrets(database.db, store, undefined)).toEqual([]); // nothing left to move

    const agents = new AgentRepository(database.db);
    expect((await agents.get('old'))?.config.llm.credential).toBe('agent-old');
    expect((await agents.get('keyless'))?.config.llm).not.toHaveProperty('credential');
    expect(await store.info('agent-old')).toMatchObject({
      kind: 'openai',
      destination: 'https://proxy.example',
    });
    expect(await store.info('agent-local')).toMatchObject({ destination: 'https://llm.example.com' });
    expect(await store.info('twilio')).toMatchObject({
      kind: 'twilio',
      destination: 'https://twilio.example',
    });
    expect(await store.info('vobiz')).toMatchObject({ kind: 'vobiz', destination: 'https://api.vobiz.ai' });
    const settings = await new TelephonySettingsRepository(database.db, store).get();
    expect(settings.twilio.authToken).toBe('tw-clear');
    expect(settings.vobiz).toMatchObject({ authId: 'MA1', credential: 'vobiz', authToken: 'vb-clear' });

    const rows = JSON.stringify([
      await database.db.selectFrom('agents').selectAll().execute(),
      await database.db.selectFrom('telephony_settings').selectAll().execute(),
      await database.db.selectFrom('credentials').selectAll().execute(),
    ]);
    for (const secret of ['sk-old-clear', 'sk-local-clear', 'tw-clear', 'vb-clear'])
      expect(rows).not.toContain(secret);
  });
});
