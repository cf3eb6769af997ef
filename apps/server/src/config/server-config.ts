import { isIP } from 'node:net';
import path from 'node:path';
import type { PriceTable } from '@parley/pipeline';
import { VENDORS } from '@parley/services';
import { z } from 'zod';
import { machineCallLimit } from '../limits/machine-limit.ts';
import { EgressConfigError, parseEgressRule } from '../security/egress.ts';
import { loadPriceTable } from './price-table.ts';
import { readVendorCa } from './vendor-ca.ts';

/** The server's settings, from environment variables (each documented in the README). */
export interface ServerConfig {
  /** TCP port. `PORT`, default 8080. */
  readonly port: number;
  /** Listen address. `HOST`, default `0.0.0.0`. */
  readonly host: string;
  /**
   * Public origin the providers reach us at, e.g. `https://voice.example.com`; used to build
   * stream URLs and to check webhook signatures behind proxies. `PUBLIC_URL`; default: from
   * each request's Host header.
   */
  readonly publicUrl: string | undefined;
  /** `DATABASE_URL` (PostgreSQL); unset: embedded PGlite in `<dataDir>/pg`. */
  readonly databaseUrl: string | undefined;
  /** `REDIS_URL`; unset: an in-process session store. */
  readonly redisUrl: string | undefined;
  /** Where embedded data lives. `DATA_DIR`, default `.data`. */
  readonly dataDir: string;
  /** Root of `YYYY/MM/<call_id>.wav` recordings. `RECORDINGS_DIR`, default `recordings`. */
  readonly recordingsDir: string;
  /** Twilio auth token; when set, webhook and stream signatures are required. `TWILIO_AUTH_TOKEN`. */
  readonly twilioAuthToken: string | undefined;
  /** Default OpenAI key for agents without their own. `OPENAI_API_KEY`. */
  readonly openaiApiKey: string | undefined;
  /** Default OpenAI-compatible base URL. `OPENAI_BASE_URL`. */
  readonly openaiBaseUrl: string | undefined;
  /**
   * The speech and language vendors' settings from the environment, by variable: each
   * vendor's default key (`DEEPGRAM_API_KEY`, `ANTHROPIC_API_KEY`, …) and base URL
   * (`DEEPGRAM_BASE_URL`, …; see `vendorVariables`). Only variables that are set appear.
   */
  readonly vendorEnv: Readonly<Record<string, string>>;
  /**
   * Extra CA certificates (PEM) the vendors' TLS connections trust besides Node's default
   * roots, e.g. a TLS-inspecting proxy's or a test server's: a PEM bundle file, read and
   * checked at start-up. `VENDOR_CA_FILE`; default none.
   */
  readonly vendorCa: string | undefined;
  /**
   * Prices of the speech and language services, for each call's estimated cost: a JSON file
   * (see `price-table.ts`). `PRICES_FILE`; default none (usage is stored without a cost).
   */
  readonly prices: PriceTable | undefined;
  /** pino level. `LOG_LEVEL`, default `info`. */
  readonly logLevel: string;
  /**
   * The reverse proxies whose `X-Forwarded-For`/`-Proto`/`-Host` headers are believed
   * (addresses, CIDRs, or proxy-addr's `loopback`, `linklocal`, `uniquelocal`), passed to
   * Fastify's `trustProxy`. Otherwise the client's address (for IP allow-lists and rate limits)
   * is the socket's, and URLs are built from the Host header. `TRUST_PROXY`, comma-separated;
   * default: none.
   */
  readonly trustProxy: readonly string[];
  /** Limits on calls, streams and requests. */
  readonly limits: ServerLimits;
  /** A dashboard session ends after this long without requests. `SESSION_IDLE_MINUTES`, default 60. */
  readonly sessionIdleMinutes: number;
  /** A dashboard session ends this long after sign-in, whatever happens. `SESSION_MAX_HOURS`, default 12. */
  readonly sessionMaxHours: number;
  /**
   * The first admin's password, used when the users table is empty (instead of a generated
   * one written to `<dataDir>/admin-password.txt`). `PARLEY_ADMIN_PASSWORD`, at least 10 characters.
   */
  readonly adminPassword: string | undefined;
  /** Key that encrypts stored credentials. `PARLEY_SECRET_KEY`; unset: `<dataDir>/secret.key`, generated. */
  readonly secretKey: string | undefined;
  /** Keys of earlier rotations, still accepted to decrypt. `PARLEY_SECRET_KEY_PREVIOUS` (comma-separated). */
  readonly previousSecretKeys: readonly string[];
  /** Non-public targets outbound requests may reach (CIDRs, IPs, hosts, host:port). `EGRESS_ALLOW`. */
  readonly egressAllow: readonly string[];
  /**
   * A server process silent for this long is gone, and its live calls are ended as
   * `server_lost` by the recovery sweep, s. `SERVER_STALE_SECS`, default 30.
   */
  readonly serverStaleSecs: number;
  /** On SIGTERM, live calls may go on this long before they hear a goodbye, s. `SHUTDOWN_GRACE_SECS`, default 30. */
  readonly shutdownGraceSecs: number;
  /** Recordings of calls ended longer ago are deleted at 03:00, days. `RECORDING_RETENTION_DAYS`; unset: kept. */
  readonly recordingRetentionDays: number | undefined;
}

/** Limits on calls, media streams and requests (see the README's configuration table). */
export interface ServerLimits {
  /**
   * Calls carried at once when the telephony settings set no `maxConcurrentCalls`.
   * `MAX_CONCURRENT_CALLS`; default: from the machine (see `machineCallLimit`: 4 per core, one
   * per 150 MB of free memory at start-up, at least 1; the local STT runs a process per call).
   */
  readonly maxConcurrentCalls: number;
  /**
   * How long a call answered by its webhook keeps its place under the concurrency limit while
   * its media stream has not started, ms; then it is ended `failed` (`no_stream`).
   * `STREAM_WAIT_SECS`, default 15.
   */
  readonly streamWaitMs: number;
  /** How long a media stream may take to send its `start`, ms. `STREAM_START_TIMEOUT_SECS`, default 5. */
  readonly streamStartTimeoutMs: number;
  /**
   * Media-stream WebSockets one address may hold open before their `start` (further upgrades get
   * 429). `MAX_PENDING_STREAMS_PER_IP`, default 20.
   */
  readonly maxPendingStreamsPerIp: number;
  /** Requests to `/telephony/*` per address per minute. `RATE_LIMIT_WEBHOOKS_PER_MIN`, default 1200. */
  readonly webhooksPerMinute: number;
  /** Requests to `/api/*` per address per minute. `RATE_LIMIT_API_PER_MIN`, default 1200. */
  readonly apiRequestsPerMinute: number;
}

const optional = z
  .string()
  .optional()
  .transform((v) => (v?.trim() ? v.trim() : undefined));

const envSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(8080),
  HOST: z.string().default('0.0.0.0'),
  PUBLIC_URL: optional.pipe(z.url().optional()),
  DATABASE_URL: optional,
  REDIS_URL: optional,
  DATA_DIR: z.string().default('.data'),
  RECORDINGS_DIR: z.string().default('recordings'),
  TWILIO_AUTH_TOKEN: optional,
  OPENAI_API_KEY: optional,
  OPENAI_BASE_URL: optional,
  PRICES_FILE: optional,
  VENDOR_CA_FILE: optional,
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  TRUST_PROXY: optional.pipe(
    z
      .string()
      .optional()
      .transform((v) => (v === undefined ? [] : v.split(',').map((p) => p.trim())))
      .pipe(
        z.array(z.string().refine(isProxyAddress, 'an address, a CIDR, loopback, linklocal or uniquelocal')),
      ),
  ),
  MAX_CONCURRENT_CALLS: z.coerce.number().int().min(1).max(100_000).optional(),
  STREAM_WAIT_SECS: z.coerce.number().positive().max(600).default(15),
  STREAM_START_TIMEOUT_SECS: z.coerce.number().positive().max(60).default(5),
  MAX_PENDING_STREAMS_PER_IP: z.coerce.number().int().min(1).default(20),
  RATE_LIMIT_WEBHOOKS_PER_MIN: z.coerce.number().int().min(1).default(1200),
  RATE_LIMIT_API_PER_MIN: z.coerce.number().int().min(1).default(1200),
  SESSION_IDLE_MINUTES: z.coerce.number().positive().default(60),
  SESSION_MAX_HOURS: z.coerce.number().positive().default(12),
  // Not trimmed: spaces may be part of a password.
  PARLEY_ADMIN_PASSWORD: z
    .string()
    .optional()
    .transform((v) => (v === '' ? undefined : v))
    .pipe(z.string().min(10).max(200).optional()),
  PARLEY_SECRET_KEY: optional,
  PARLEY_SECRET_KEY_PREVIOUS: optional.transform(list),
  EGRESS_ALLOW: optional.transform(list).superRefine((entries, ctx) => {
    for (const entry of entries) {
      try {
        parseEgressRule(entry);
      } catch (error) {
        if (!(error instanceof EgressConfigError)) throw error;
        ctx.addIssue({ code: 'custom', message: error.message });
      }
    }
  }),
  SERVER_STALE_SECS: z.coerce.number().min(1).max(3600).default(30),
  SHUTDOWN_GRACE_SECS: z.coerce.number().min(0).max(3600).default(30),
  RECORDING_RETENTION_DAYS: optional
    .transform((v) => (v === undefined ? undefined : Number(v)))
    .pipe(z.number().positive().optional()),
});

const PROXY_NAMES = new Set(['loopback', 'linklocal', 'uniquelocal']);

/** `1.2.3.4`, `10.0.0.0/8`, `::1`, `fd00::/8`, or one of proxy-addr's names. */
function isProxyAddress(entry: string): boolean {
  if (PROXY_NAMES.has(entry)) return true;
  const [address = '', prefix, ...rest] = entry.split('/');
  const family = isIP(address);
  if (family === 0 || rest.length > 0) return false;
  if (prefix === undefined) return true;
  const bits = Number(prefix);
  return /^\d{1,3}$/.test(prefix) && bits <= (family === 4 ? 32 : 128);
}

/** A comma- or space-separated list. */
function list(value: string | undefined): string[] {
  return value?.split(/[\s,]+/).filter(Boolean) ?? [];
}

/**
 * Read the configuration from `env` (default `process.env`). Relative paths resolve against `cwd`.
 * @throws Error naming each invalid variable.
 */
export function loadServerConfig(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): ServerConfig {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    throw new Error(`Invalid environment: ${lines.join('; ')}`);
  }
  const e = parsed.data;
  const vendorEnv = readVendorEnv(env);
  return {
    port: e.PORT,
    host: e.HOST,
    publicUrl: e.PUBLIC_URL?.replace(/\/+$/, ''),
    databaseUrl: e.DATABASE_URL,
    redisUrl: e.REDIS_URL,
    dataDir: path.resolve(cwd, e.DATA_DIR),
    recordingsDir: path.resolve(cwd, e.RECORDINGS_DIR),
    twilioAuthToken: e.TWILIO_AUTH_TOKEN,
    openaiApiKey: e.OPENAI_API_KEY,
    openaiBaseUrl: e.OPENAI_BASE_URL,
    vendorEnv,
    vendorCa: e.VENDOR_CA_FILE === undefined ? undefined : vendorCa(path.resolve(cwd, e.VENDOR_CA_FILE)),
    prices: e.PRICES_FILE === undefined ? undefined : loadPriceTable(path.resolve(cwd, e.PRICES_FILE)),
    logLevel: e.LOG_LEVEL,
    trustProxy: e.TRUST_PROXY,
    limits: {
      maxConcurrentCalls: e.MAX_CONCURRENT_CALLS ?? machineCallLimit(),
      streamWaitMs: e.STREAM_WAIT_SECS * 1000,
      streamStartTimeoutMs: e.STREAM_START_TIMEOUT_SECS * 1000,
      maxPendingStreamsPerIp: e.MAX_PENDING_STREAMS_PER_IP,
      webhooksPerMinute: e.RATE_LIMIT_WEBHOOKS_PER_MIN,
      apiRequestsPerMinute: e.RATE_LIMIT_API_PER_MIN,
    },
    sessionIdleMinutes: e.SESSION_IDLE_MINUTES,
    sessionMaxHours: e.SESSION_MAX_HOURS,
    adminPassword: e.PARLEY_ADMIN_PASSWORD,
    secretKey: e.PARLEY_SECRET_KEY,
    previousSecretKeys: e.PARLEY_SECRET_KEY_PREVIOUS,
    egressAllow: e.EGRESS_ALLOW,
    serverStaleSecs: e.SERVER_STALE_SECS,
    shutdownGraceSecs: e.SHUTDOWN_GRACE_SECS,
    recordingRetentionDays: e.RECORDING_RETENTION_DAYS,
  };
}

/** The certificates of `VENDOR_CA_FILE`. @throws Error naming the variable when the file is unusable. */
function vendorCa(file: string): string {
  try {
    return readVendorCa(file);
  } catch (error) {
    throw new Error(
      `Invalid environment: VENDOR_CA_FILE: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
}

/** Every vendor's key and base-URL variables, from the registry: `{ keys, baseUrls }`. */
export function vendorVariables(): { keys: string[]; baseUrls: string[] } {
  const all = Object.values(VENDORS).flat();
  const unique = (names: (string | undefined)[]) => [...new Set(names.filter((n) => n !== undefined))];
  return {
    keys: unique(all.map((v) => v.key?.variable)),
    baseUrls: unique(all.map((v) => v.baseUrlVariable)),
  };
}

/**
 * The vendor variables set in `env`, trimmed.
 * @throws Error naming a base-URL variable that is not an http(s) URL.
 */
function readVendorEnv(env: NodeJS.ProcessEnv): Record<string, string> {
  const { keys, baseUrls } = vendorVariables();
  const values: Record<string, string> = {};
  for (const name of [...keys, ...baseUrls]) {
    const value = env[name]?.trim();
    if (value) values[name] = value;
  }
  for (const name of baseUrls) {
    const value = values[name];
    if (value !== undefined && !/^https?:\/\/[^/]/.test(value)) {
      throw new Error(`Invalid environment: ${name}: not an http(s) URL`);
    }
  }
  return values;
}
