/**
 * The server's pino options: human-readable lines (pino-pretty) when stdout is a terminal,
 * JSON lines otherwise (for log collectors).
 */
import type { LoggerOptions } from 'pino';
import { LOG_REDACT } from './security/log-redaction.ts';
import { requestSerializer } from './security/log-urls.ts';

/**
 * pino options at `level`, never writing credentials (`LOG_REDACT`, tokens in request URLs): with `pino-pretty` as a
 * transport when `stdout` is a TTY.
 * @param stdout The stream the logs go to; default `process.stdout`.
 */
export function loggerOptions(
  level: string,
  stdout: { readonly isTTY?: boolean } = process.stdout,
): LoggerOptions {
  // Fastify's request serializer, with one-time tokens masked in URLs.
  const serializers = { req: requestSerializer };
  if (!stdout.isTTY) return { level, redact: LOG_REDACT, serializers };
  return {
    level,
    redact: LOG_REDACT,
    serializers,
    transport: {
      target: 'pino-pretty',
      options: { translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' },
    },
  };
}
