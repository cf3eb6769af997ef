/**
 * Kysely table types for Parley's database, mirroring `migrations/`.
 *
 * Column names are snake_case as stored; repositories map rows to camelCase
 * domain objects. JSONB columns are written as JSON text (`JSON.stringify`) and
 * read back as parsed values by both drivers (pg and PGlite).
 */
import type { ColumnType, Generated } from 'kysely';

/** A JSONB column read as `T` and written as JSON text. */
export type Json<T> = ColumnType<T, string, string>;

/** A JSONB column with a database default: optional on insert. */
export type JsonWithDefault<T> = ColumnType<T, string | undefined, string>;

/** A `timestamptz` column read as `Date`, with a database default of `now()`. */
export type TimestampWithDefault = ColumnType<Date, Date | undefined, Date>;

/** A nullable `timestamptz` column. */
export type NullableTimestamp = ColumnType<Date | null, Date | null | undefined, Date | null>;

/**
 * An `int8` column. pg is configured to parse int8 as `number` and PGlite
 * returns `number`, but repositories still normalise with `Number()`.
 */
export type Int8 = ColumnType<number | string, never, never>;

/** `agents`: one row per configured voice agent. */
export interface AgentsTable {
  /** Slug, e.g. `demo`. */
  id: string;
  name: string;
  /** The agent configuration; see `config/agent-config.ts`. */
  config: Json<unknown>;
  created_at: TimestampWithDefault;
  updated_at: TimestampWithDefault;
}

/** `calls`: one row per phone call, inbound or outbound. */
export interface CallsTable {
  id: Generated<string>;
  agent_id: string | null;
  provider: string;
  direction: string;
  status: string;
  from_number: string | null;
  to_number: string | null;
  provider_call_id: string | null;
  stream_id: string | null;
  created_at: TimestampWithDefault;
  started_at: NullableTimestamp;
  answered_at: NullableTimestamp;
  ended_at: NullableTimestamp;
  duration_ms: number | null;
  end_reason: string | null;
  transcript: JsonWithDefault<unknown>;
  recording_path: string | null;
  provider_metadata: JsonWithDefault<unknown>;
  context: JsonWithDefault<unknown>;
  /** Highest `call_events.seq` handed out for this call (0 before the first event). */
  last_event_seq: Generated<number>;
  /** SHA-256 (hex) of the one-time token the call's media stream must present; null once used. */
  stream_token_hash: ColumnType<string | null, string | null | undefined, string | null>;
  /** Id of the server process that placed, answered or streams the call; see `servers`. */
  owner_id: ColumnType<string | null, string | null | undefined, string | null>;
  /** The call's service usage and estimated cost (`CallUsage`), stored when it ends; null before. */
  usage: ColumnType<unknown, string | null | undefined, string | null>;
  /** The call's post-call analysis (`CallAnalysis`), stored after it ended; null without one. */
  analysis: ColumnType<unknown, string | null | undefined, string | null>;
  /** The flow version published when the call started (`flow_versions.id`), if the agent had one. */
  flow_version_id: ColumnType<string | null, string | null | undefined, string | null>;
}

/** `call_events`: the ordered event log of a call. */
export interface CallEventsTable {
  /** `generated always as identity`. */
  id: Int8;
  call_id: string;
  /** 1-based position within the call. */
  seq: number;
  type: string;
  at: ColumnType<Date, Date, Date>;
  data: JsonWithDefault<unknown>;
  /** Unique key given by the writer, so that a replayed batch is stored once. */
  event_key: ColumnType<string | null, string | null | undefined, string | null>;
}

/** `servers`: one row per running server process, with its heartbeat. */
export interface ServersTable {
  id: string;
  started_at: TimestampWithDefault;
  heartbeat_at: TimestampWithDefault;
}

/** `telephony_settings`: one row (id 1) of provider credentials and call limits. */
export interface TelephonySettingsTable {
  id: ColumnType<number, number | undefined, never>;
  default_provider: string | null;
  max_concurrent_calls: number | null;
  /** Per-provider settings and credentials; see `telephony/settings.ts`. */
  providers: JsonWithDefault<unknown>;
  updated_at: TimestampWithDefault;
}

/** `users`: people who sign in to the dashboard and API. */
export interface UsersTable {
  id: Generated<string>;
  /** Lower-case, unique. */
  username: string;
  /** `admin`, `editor` or `viewer`. */
  role: string;
  /** argon2id PHC string. */
  password_hash: string;
  created_at: TimestampWithDefault;
  updated_at: TimestampWithDefault;
}

/** `login_sessions`: a signed-in browser's cookie session. */
export interface LoginSessionsTable {
  /** SHA-256 (hex) of the session id carried by the cookie. */
  id_hash: string;
  user_id: string;
  /** Secret of the session's CSRF tokens. */
  csrf_secret: string;
  created_at: ColumnType<Date, Date, never>;
  last_seen_at: ColumnType<Date, Date, Date>;
  /** The absolute end of the session. */
  expires_at: ColumnType<Date, Date, never>;
}

/** `api_keys`: bearer keys for scripts, each with a role. */
export interface ApiKeysTable {
  id: Generated<string>;
  name: string;
  role: string;
  /** SHA-256 (hex) of the key. */
  key_hash: string;
  /** The key's first characters, for telling keys apart. */
  prefix: string;
  created_by: string | null;
  created_at: TimestampWithDefault;
  last_used_at: NullableTimestamp;
  revoked_at: NullableTimestamp;
}

/** `audit_log`: who changed what, and when. */
export interface AuditLogTable {
  /** `generated always as identity`. */
  id: Int8;
  at: TimestampWithDefault;
  /** `user`, `api_key` or `system`. */
  actor_type: string;
  actor_id: string | null;
  actor_name: string | null;
  action: string;
  target_type: string;
  target_id: string | null;
  /** Non-secret facts about the change (e.g. the new role). */
  details: JsonWithDefault<unknown>;
}

/** The whole database, as seen by Kysely. */
/** `credentials`: named secrets, sealed with AES-256-GCM (see `credentials/store.ts`). */
export interface CredentialsTable {
  id: string;
  /** Unique, immutable; what agents and settings refer to. */
  name: string;
  /** `openai`, `twilio`, `exotel`, `vobiz` or `generic`. */
  kind: string;
  /** Origin (`https://api.openai.com`) the secret may be sent to. */
  destination: string;
  /** Id of the key that sealed the value. */
  key_id: string;
  iv: Uint8Array;
  auth_tag: Uint8Array;
  ciphertext: Uint8Array;
  created_at: TimestampWithDefault;
  updated_at: TimestampWithDefault;
}

/** `flow_versions`: an agent's flow, one row per version. */
export interface FlowVersionsTable {
  id: Generated<string>;
  agent_id: string;
  /** 1, 2, … per agent. */
  version: number;
  /** `draft`, `published` or `archived`; at most one draft and one published per agent. */
  status: string;
  /** The flow definition; see `@parley/flows`' `flowDefinitionSchema`. */
  definition: Json<unknown>;
  /** Name of the user or API key that wrote it. */
  created_by: string | null;
  created_at: TimestampWithDefault;
  updated_at: TimestampWithDefault;
  published_at: NullableTimestamp;
}

/** `tools`: webhook tools agents can call (see `calls/tools/tool-schema.ts`). */
export interface ToolsTable {
  /** Slug, e.g. `check-order`. */
  id: string;
  /** The tool's definition; header secrets are credential names. */
  definition: Json<unknown>;
  created_at: TimestampWithDefault;
  updated_at: TimestampWithDefault;
}

export interface DB {
  agents: AgentsTable;
  calls: CallsTable;
  call_events: CallEventsTable;
  telephony_settings: TelephonySettingsTable;
  servers: ServersTable;
  users: UsersTable;
  login_sessions: LoginSessionsTable;
  api_keys: ApiKeysTable;
  audit_log: AuditLogTable;
  credentials: CredentialsTable;
  flow_versions: FlowVersionsTable;
  tools: ToolsTable;
}
