/**
 * pino `redact` options that keep secrets out of logs, wherever a logged object carries them:
 * provider secrets, API keys, credential values, authorization headers and cookies.
 */
import type { LoggerOptions } from 'pino';

/** Property names whose values are secrets. */
const SECRET_KEYS = [
  'apiKey',
  'authToken',
  'apiToken',
  'secretKey',
  'password',
  'authorization',
  'Authorization',
  'cookie',
  'x-auth-token',
  'x-csrf-token',
  'set-cookie',
];

/** How deep under the logged object a secret is looked for (`err.config.headers.authorization` is 3). */
const MAX_DEPTH = 4;

/** The redaction paths: each secret key at the top level and under up to {@link MAX_DEPTH} objects. */
function redactPaths(): string[] {
  const paths: string[] = [];
  for (const key of SECRET_KEYS) {
    const property = /^[A-Za-z_$][\w$]*$/.test(key) ? key : `["${key}"]`;
    for (let depth = 0; depth <= MAX_DEPTH; depth++) {
      const prefix = '*.'.repeat(depth);
      paths.push(property.startsWith('[') ? `${prefix.slice(0, -1)}${property}` : `${prefix}${property}`);
    }
  }
  return paths;
}

/** `redact` for pino (and Fastify's `logger` option): secrets are logged as `[redacted]`. */
export const LOG_REDACT: NonNullable<LoggerOptions['redact']> = {
  paths: redactPaths(),
  censor: '[redacted]',
};
