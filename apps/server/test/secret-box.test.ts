import { randomBytes } from 'node:crypto';
import { chmod, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SecretBox, SecretKeyError, SecretTamperedError, secretKeyId } from '../src/security/secret-box.ts';
import { loadSecretKeys, parseSecretKey, SECRET_KEY_FILE } from '../src/security/secret-key.ts';

const AAD = '["parley-credential-v1","id","name","openai","https://api.openai.com"]';

describe('SecretBox (AES-256-GCM)', () => {
  const box = new SecretBox(randomBytes(32));

  it('opens what it sealed, with a fresh IV each time', () => {
    const a = box.seal('{"apiKey":"sk-1"}', AAD);
    const b = box.seal('{"apiKey":"sk-1"}', AAD);
    expect(box.open(a, AAD)).toBe('{"apiKey":"sk-1"}');
    expect(a.iv).toHaveLength(12);
    expect(a.authTag).toHaveLength(16);
    expect(Buffer.from(a.iv).equals(Buffer.from(b.iv))).toBe(false);
    expect(Buffer.from(a.ciphertext).equals(Buffer.from(b.ciphertext))).toBe(false);
    expect(Buffer.from(a.ciphertext).toString('utf8')).not.toContain('sk-1');
    expect(a.keyId).toBe(box.keyId);
  });

  it.each([
    ['a flipped ciphertext bit', { ciphertext: true }],
    ['a flipped tag bit', { authTag: true }],
    ['a flipped IV bit', { iv: true }],
  ])('detects %s', (_, flip) => {
    const sealed = box.seal('secret', AAD);
    const flipped = (bytes: Uint8Array, yes?: boolean) => {
      const copy = Buffer.from(bytes);
      if (yes) copy[0] = copy[0]! ^ 1;
      return copy;
    };
    const tampered = {
      ...sealed,
      ciphertext: flipped(sealed.ciphertext, 'ciphertext' in flip),
      authTag: flipped(sealed.authTag, 'authTag' in flip),
      iv: flipped(sealed.iv, 'iv' in flip),
    };
    expect(() => box.open(tampered, AAD)).toThrow(SecretTamperedError);
  });

  it('detects a value moved to another context (associated data)', () => {
    const sealed = box.seal('secret', AAD);
    expect(() => box.open(sealed, AAD.replace('api.openai.com', 'attacker.example'))).toThrow(
      SecretTamperedError,
    );
  });

  it('refuses a value sealed by another key, naming both key ids', () => {
    const other = new SecretBox(randomBytes(32));
    const sealed = other.seal('secret', AAD);
    expect(() => box.open(sealed, AAD)).toThrow(SecretKeyError);
    expect(() => box.open(sealed, AAD)).toThrow(new RegExp(`${other.keyId}.*${box.keyId}`));
  });

  it('opens values sealed by a previous key after a rotation, and seals with the new one', () => {
    const oldKey = randomBytes(32);
    const sealed = new SecretBox(oldKey).seal('secret', AAD);
    const rotated = new SecretBox(randomBytes(32), [oldKey]);
    expect(rotated.open(sealed, AAD)).toBe('secret');
    expect(rotated.seal('x', AAD).keyId).not.toBe(secretKeyId(oldKey));
  });

  it('refuses a key that is not 32 bytes', () => {
    expect(() => new SecretBox(randomBytes(16))).toThrow(SecretKeyError);
  });
});

describe('the secret key', () => {
  let dir: string | undefined;
  afterEach(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
    dir = undefined;
  });

  it('is generated on first start into DATA_DIR with mode 0600, then reused', async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'parley-key-'));
    const dataDir = path.join(dir, 'data');
    const first = await loadSecretKeys({ secretKey: undefined, previousSecretKeys: [], dataDir });
    expect(first.source).toBe('generated');
    const file = path.join(dataDir, SECRET_KEY_FILE);
    expect(first.file).toBe(file);
    if (process.platform !== 'win32') expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect(
      Buffer.from(parseSecretKey(await readFile(file, 'utf8'), file)).equals(Buffer.from(first.primary)),
    ).toBe(true);
    const second = await loadSecretKeys({ secretKey: undefined, previousSecretKeys: [], dataDir });
    expect(second.source).toBe('file');
    expect(Buffer.from(second.primary).equals(Buffer.from(first.primary))).toBe(true);
  });

  it('warns about a key file that others can read', async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'parley-key-'));
    const file = path.join(dir, SECRET_KEY_FILE);
    await writeFile(file, randomBytes(32).toString('base64'));
    await chmod(file, 0o644);
    const warnings: string[] = [];
    await loadSecretKeys(
      { secretKey: undefined, previousSecretKeys: [], dataDir: dir },
      { warn: (_obj, msg) => warnings.push(msg) },
    );
    if (process.platform !== 'win32') expect(warnings).toEqual(['the secret key file is readable by others']);
  });

  it('comes from PARLEY_SECRET_KEY as hex or base64, writing no file', async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'parley-key-'));
    const key = randomBytes(32);
    for (const text of [key.toString('hex'), key.toString('base64'), key.toString('base64url')]) {
      const keys = await loadSecretKeys({ secretKey: text, previousSecretKeys: [], dataDir: dir });
      expect(keys.source).toBe('env');
      expect(Buffer.from(keys.primary).equals(key)).toBe(true);
    }
    await expect(stat(path.join(dir, SECRET_KEY_FILE))).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it.each([
    ['too short', randomBytes(16).toString('base64')],
    ['not hex nor base64', 'correct horse battery staple'],
    ['33 bytes of hex', randomBytes(33).toString('hex')],
  ])('refuses a PARLEY_SECRET_KEY that is %s, saying what it must be', async (_, text) => {
    await expect(
      loadSecretKeys({ secretKey: text, previousSecretKeys: [], dataDir: tmpdir() }),
    ).rejects.toThrow(/PARLEY_SECRET_KEY must be 32 random bytes/);
  });
});
