import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_PASSWORD_FILE, ensureFirstAdmin } from '../src/auth/first-admin.ts';
import { loadServerConfig } from '../src/config/server-config.ts';
import { AuditLogRepository } from '../src/db/audit-log.ts';
import { UserRepository } from '../src/db/users.ts';
import { postLogin } from './helpers/auth.ts';
import { noServices } from './helpers/no-services.ts';
import { startTestServer, type TestServer } from './helpers/server.ts';

let server: TestServer;
let dataDir: string;

beforeAll(async () => {
  server = await startTestServer(() => noServices);
  dataDir = await mkdtemp(path.join(tmpdir(), 'parley-data-'));
}, 60_000);

afterAll(async () => {
  await server?.close();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

function firstAdmin(dir: string, password?: string) {
  const printed: string[] = [];
  const result = ensureFirstAdmin({
    users: new UserRepository(server.database.db),
    audit: new AuditLogRepository(server.database.db),
    dataDir: dir,
    password,
    print: (line) => printed.push(line),
  });
  return { result, printed };
}

describe('the first start', () => {
  it('creates admin with a random password, printed once and written to a 0600 file under DATA_DIR', async () => {
    const dir = path.join(dataDir, 'fresh'); // missing: it is created
    const { result, printed } = firstAdmin(dir);
    expect(await result).toEqual({ created: true, passwordFile: path.join(dir, ADMIN_PASSWORD_FILE) });

    const file = path.join(dir, ADMIN_PASSWORD_FILE);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    const password = (await readFile(file, 'utf8')).trim();
    expect(password).toMatch(/^[\w-]{24}$/);
    expect(printed.join('\n')).toContain(password);

    const res = await postLogin(server.parley.app, 'admin', password);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ user: { username: 'admin', role: 'admin' } });

    const { entries } = await new AuditLogRepository(server.database.db).list({ limit: 10, offset: 0 });
    expect(entries).toContainEqual(
      expect.objectContaining({ actor: { type: 'system', id: null, name: null }, action: 'user.create' }),
    );
  });

  it('does nothing once a user exists: no new password, no file', async () => {
    const dir = path.join(dataDir, 'second');
    const { result, printed } = firstAdmin(dir);
    expect(await result).toEqual({ created: false });
    expect(printed).toEqual([]);
    await expect(stat(path.join(dir, ADMIN_PASSWORD_FILE))).rejects.toThrow();
  });

  it('takes the password from PARLEY_ADMIN_PASSWORD and then writes no file', async () => {
    await server.database.db.deleteFrom('users').execute();
    const password = loadServerConfig({ PARLEY_ADMIN_PASSWORD: ' spaced admin password ' }).adminPassword;
    expect(password).toBe(' spaced admin password ');
    const dir = path.join(dataDir, 'from-env');
    const { result, printed } = firstAdmin(dir, password);
    expect(await result).toEqual({ created: true });
    expect(printed.join('\n')).not.toContain('spaced admin password');
    await expect(stat(path.join(dir, ADMIN_PASSWORD_FILE))).rejects.toThrow();
    expect((await postLogin(server.parley.app, 'admin', ' spaced admin password ')).statusCode).toBe(200);
  });

  it('refuses a PARLEY_ADMIN_PASSWORD shorter than 10 characters', () => {
    expect(() => loadServerConfig({ PARLEY_ADMIN_PASSWORD: 'admin' })).toThrow(/PARLEY_ADMIN_PASSWORD/);
    expect(loadServerConfig({ PARLEY_ADMIN_PASSWORD: '' }).adminPassword).toBeUndefined();
  });
});
