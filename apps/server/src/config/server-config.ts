import path from 'node:path';
import { z } from 'zod';

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
  /** pino level. `LOG_LEVEL`, default `info`. */
  readonly logLevel: string;
  /**
   * A server process silent for this long is gone, and its live calls are ended as
   * `server_lost` by the recovery sweep, s. `SERVER_STALE_SECS`, default 30.
   */
  readonly serverStaleSecs: number;
  /** Recordings of calls ended longer ago are deleted at 03:00, days. `RECORDING_RETENTION_DAYS`; unset: kept. */
  readonly recordingRetentionDays: number | undefined;
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
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  SERVER_STALE_SECS: z.coerce.number().min(1).max(3600).default(30),
  RECORDING_RETENTION_DAYS: optional
    .transform((v) => (v === undefined ? undefined : Number(v)))
    .pipe(z.number().positive().optional()),
});

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
    logLevel: e.LOG_LEVEL,
    serverStaleSecs: e.SERVER_STALE_SECS,
    recordingRetentionDays: e.RECORDING_RETENTION_DAYS,
  };
}
