/**
 * The credential store: named secrets sealed with AES-256-GCM in the `credentials` table,
 * each bound to the one destination (an origin) it may be sent to. Agents and telephony
 * settings refer to credentials by name; only the server reads their values.
 */
import { randomUUID } from 'node:crypto';
import type { Kysely, Selectable } from 'kysely';
import type { CredentialsTable, DB } from '../db/schema.ts';
import { type SecretBox, SecretKeyError } from '../security/secret-box.ts';
import { CredentialError, CredentialUnreadableError } from './errors.ts';
import {
  type CredentialKind,
  type CredentialValue,
  credentialNameSchema,
  credentialValueSchemas,
  originOf,
} from './kinds.ts';
import { credentialUsages } from './usages.ts';

/** What anyone may know about a credential: everything but its value. */
export interface CredentialInfo {
  readonly id: string;
  readonly name: string;
  readonly kind: CredentialKind;
  /** The origin (`https://api.openai.com`) the secret may be sent to. */
  readonly destination: string;
  /** Id of the key that sealed the value (see `security/secret-box.ts`). */
  readonly keyId: string;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

/** A new credential: see {@link CredentialStore.create}. */
export interface NewCredential {
  readonly name: string;
  readonly kind: CredentialKind;
  /** The secret, shaped as its kind requires (`credentialValueSchemas`). */
  readonly value: unknown;
  /** Any URL of the destination; only its origin is kept. */
  readonly destination: string;
}

/** Named credentials, sealed by a {@link SecretBox}. */
export class CredentialStore {
  constructor(
    private readonly db: Kysely<DB>,
    private readonly box: SecretBox,
  ) {}

  /** The same store over `db` (e.g. a transaction). */
  using(db: Kysely<DB>): CredentialStore {
    return new CredentialStore(db, this.box);
  }

  /** Every credential, without values, ordered by name. */
  async list(): Promise<CredentialInfo[]> {
    const rows = await this.db.selectFrom('credentials').selectAll().orderBy('name').execute();
    return rows.map(toInfo);
  }

  /** The credential named `name`, without its value; `undefined` if there is none. */
  async info(name: string): Promise<CredentialInfo | undefined> {
    const row = await this.row(name);
    return row && toInfo(row);
  }

  /**
   * Stores a new credential.
   * @throws {@link CredentialError} `invalid_credential` when the name is not one, the value
   *   does not fit the kind or the destination is not an http(s) URL; `credential_exists` when
   *   the name is taken.
   */
  async create(credential: NewCredential): Promise<CredentialInfo> {
    const name = credentialNameSchema.safeParse(credential.name);
    if (!name.success) {
      throw new CredentialError(
        'invalid_credential',
        `Invalid credential name ${JSON.stringify(credential.name)}`,
        [`name: ${name.error.issues[0]?.message ?? 'invalid'}`],
      );
    }
    const value = checkValue(credential.kind, credential.value);
    const destination = checkDestination(credential.destination);
    const id = randomUUID();
    const sealed = this.box.seal(
      JSON.stringify(value),
      associatedData(id, credential.name, credential.kind, destination),
    );
    const row = await this.db
      .insertInto('credentials')
      .values({
        id,
        name: credential.name,
        kind: credential.kind,
        destination,
        key_id: sealed.keyId,
        iv: sealed.iv,
        auth_tag: sealed.authTag,
        ciphertext: sealed.ciphertext,
      })
      .onConflict((oc) => oc.column('name').doNothing())
      .returningAll()
      .executeTakeFirst();
    if (!row)
      throw new CredentialError('credential_exists', `A credential named "${credential.name}" exists`);
    return toInfo(row);
  }

  /**
   * Replaces a credential's value and destination (its kind stays): the only way to move a
   * secret to another destination is to give it again.
   * @throws {@link CredentialError} `credential_not_found`, or `invalid_credential` (see {@link create}).
   */
  async replace(name: string, replacement: { value: unknown; destination: string }): Promise<CredentialInfo> {
    const existing = await this.row(name);
    if (!existing) throw notFound(name);
    const kind = existing.kind as CredentialKind;
    const value = checkValue(kind, replacement.value);
    const destination = checkDestination(replacement.destination);
    const sealed = this.box.seal(JSON.stringify(value), associatedData(existing.id, name, kind, destination));
    const row = await this.db
      .updateTable('credentials')
      .set({
        destination,
        key_id: sealed.keyId,
        iv: sealed.iv,
        auth_tag: sealed.authTag,
        ciphertext: sealed.ciphertext,
        updated_at: new Date(),
      })
      .where('id', '=', existing.id)
      .returningAll()
      .executeTakeFirstOrThrow();
    return toInfo(row);
  }

  /**
   * Creates the credential, or replaces the value and destination of the one with this name
   * (which must be of the same kind).
   * @throws {@link CredentialError} `credential_kind_mismatch` or `invalid_credential`.
   */
  async put(credential: NewCredential): Promise<CredentialInfo> {
    const existing = await this.info(credential.name);
    if (!existing) return this.create(credential);
    if (existing.kind !== credential.kind) throw kindMismatch(existing, credential.kind);
    return this.replace(credential.name, credential);
  }

  /**
   * Deletes a credential nothing refers to.
   * @throws {@link CredentialError} `credential_not_found`, or `credential_in_use` listing the users.
   */
  async delete(name: string): Promise<void> {
    if (!(await this.row(name))) throw notFound(name);
    const usages = await this.usages(name);
    if (usages.length > 0) {
      throw new CredentialError(
        'credential_in_use',
        `Credential "${name}" is in use: make its users refer to another credential first`,
        usages,
      );
    }
    await this.db.deleteFrom('credentials').where('name', '=', name).execute();
  }

  /** Who refers to the credential (`agent demo`, `telephony settings (twilio)`), for people to read. */
  async usages(name: string): Promise<string[]> {
    return (await credentialUsages(this.db)).get(name) ?? [];
  }

  /** {@link usages} of every credential referred to, by name. */
  allUsages(): Promise<Map<string, string[]>> {
    return credentialUsages(this.db);
  }

  /**
   * Checks, without decrypting, that credential `name` may be used as a `kind` secret sent to
   * `destination` (any URL; its origin is compared).
   * @param field - Where the reference was written, for messages (e.g. `llm.credential`).
   * @throws {@link CredentialError} `credential_not_found`, `credential_kind_mismatch`, or
   *   `secret_required` when it is bound to another destination.
   */
  async expectUsable(
    name: string,
    kind: CredentialKind,
    destination: string,
    field: string,
  ): Promise<CredentialInfo> {
    return toInfo(checkUsable(await this.row(name), name, kind, destination, field));
  }

  /**
   * The decrypted value of credential `name`, after the checks of {@link expectUsable}.
   * @throws {@link CredentialError} as {@link expectUsable} does.
   * @throws {@link CredentialUnreadableError} when it cannot be decrypted (wrong key, altered row).
   */
  async reveal<K extends CredentialKind>(
    name: string,
    kind: K,
    destination: string,
    field: string,
  ): Promise<CredentialValue<K>> {
    const row = checkUsable(await this.row(name), name, kind, destination, field);
    return credentialValueSchemas[kind].parse(JSON.parse(this.open(row))) as CredentialValue<K>;
  }

  /** The ids of the keys that sealed stored values, each with the names of the credentials it sealed. */
  async keyIdsInUse(): Promise<Map<string, string[]>> {
    const rows = await this.db.selectFrom('credentials').select(['name', 'key_id']).execute();
    const byKey = new Map<string, string[]>();
    for (const row of rows) byKey.set(row.key_id, [...(byKey.get(row.key_id) ?? []), row.name]);
    return byKey;
  }

  /**
   * Seals again, with the primary key, every value an older key sealed (after a rotation).
   * @returns the names of the credentials sealed again.
   * @throws {@link CredentialUnreadableError} when one cannot be decrypted.
   */
  async resealWithPrimaryKey(): Promise<string[]> {
    const rows = await this.db
      .selectFrom('credentials')
      .selectAll()
      .where('key_id', '!=', this.box.keyId)
      .execute();
    for (const row of rows) {
      const sealed = this.box.seal(
        this.open(row),
        associatedData(row.id, row.name, row.kind, row.destination),
      );
      await this.db
        .updateTable('credentials')
        .set({ key_id: sealed.keyId, iv: sealed.iv, auth_tag: sealed.authTag, ciphertext: sealed.ciphertext })
        .where('id', '=', row.id)
        .execute();
    }
    return rows.map((row) => row.name);
  }

  private row(name: string): Promise<Selectable<CredentialsTable> | undefined> {
    return this.db.selectFrom('credentials').selectAll().where('name', '=', name).executeTakeFirst();
  }

  private open(row: Selectable<CredentialsTable>): string {
    try {
      return this.box.open(
        {
          keyId: row.key_id,
          iv: Buffer.from(row.iv),
          authTag: Buffer.from(row.auth_tag),
          ciphertext: Buffer.from(row.ciphertext),
        },
        associatedData(row.id, row.name, row.kind, row.destination),
      );
    } catch (error) {
      const why =
        error instanceof SecretKeyError
          ? `it was encrypted with key ${row.key_id}, not the configured PARLEY_SECRET_KEY (or DATA_DIR/secret.key) ${this.box.keyId}`
          : 'its stored row was altered';
      throw new CredentialUnreadableError(row.name, `Credential "${row.name}" cannot be decrypted: ${why}`, {
        cause: error,
      });
    }
  }
}

/** `row` when it exists, is of `kind` and is bound to the origin of `destination`; see {@link CredentialStore.expectUsable}. */
function checkUsable(
  row: Selectable<CredentialsTable> | undefined,
  name: string,
  kind: CredentialKind,
  destination: string,
  field: string,
): Selectable<CredentialsTable> {
  if (!row) throw new CredentialError('credential_not_found', `${field}: no credential is named "${name}"`);
  if (row.kind !== kind) throw kindMismatch(toInfo(row), kind, field);
  const origin = originOf(destination);
  if (row.destination !== origin) {
    throw new CredentialError(
      'secret_required',
      `${field}: credential "${name}" may only be sent to ${row.destination}, not ${origin}. ` +
        `To send it to ${origin}, give the secret again: inline in the agent or settings, or with PUT /api/credentials/${name} and its value and destination`,
    );
  }
  return row;
}

/** What a sealed value is bound to: altering any of it in the row makes opening fail. */
function associatedData(id: string, name: string, kind: string, destination: string): string {
  return JSON.stringify(['parley-credential-v1', id, name, kind, destination]);
}

function checkValue(kind: CredentialKind, value: unknown): Record<string, string> {
  const parsed = credentialValueSchemas[kind].safeParse(value);
  if (!parsed.success) {
    throw new CredentialError(
      'invalid_credential',
      `The value does not fit a credential of kind ${kind}`,
      parsed.error.issues.map((i) => `value${i.path.map((p) => `.${String(p)}`).join('')}: ${i.message}`),
    );
  }
  return parsed.data;
}

function checkDestination(destination: string): string {
  try {
    return originOf(destination);
  } catch {
    throw new CredentialError('invalid_credential', 'The destination must be an http: or https: URL', [
      `destination: ${destination} is not an http(s) URL`,
    ]);
  }
}

function notFound(name: string): CredentialError {
  return new CredentialError('credential_not_found', `No credential is named "${name}"`);
}

function kindMismatch(info: CredentialInfo, kind: CredentialKind, field?: string): CredentialError {
  return new CredentialError(
    'credential_kind_mismatch',
    `${field ? `${field}: ` : ''}credential "${info.name}" is of kind ${info.kind}, not ${kind}`,
  );
}

function toInfo(row: Selectable<CredentialsTable>): CredentialInfo {
  return {
    id: row.id,
    name: row.name,
    kind: row.kind as CredentialKind,
    destination: row.destination,
    keyId: row.key_id,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}
