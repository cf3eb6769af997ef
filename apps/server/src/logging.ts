/**
 * The server's pino options: human-readable lines (pino-pretty) when stdout is a terminal,
 * JSON lines otherwise (for log collectors).
 */
import type { LoggerOptions } from 'pino';
import { LOG_REDACT } from './security/log-redaction.ts';

/**
 * pino options at `level`, never writing credentials (`LOG_REDACT`): with `pino-pretty` as a
 * transport when `stdout` is a TTY.
 * @param stdout The stream the logs go to; default `process.stdout`.
 */
export function loggerOptions(
  level: string,
  stdout: { readonly isTTY?: boolean } = process.stdout,
): LoggerOptions {
  if (!stdout.isTTY) return { level, redact: LOG_REDACT };
  return {
    level,
    redact: LOG_REDACT,
    transport: {
      target: 'pino-pretty',
      options: { translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' },
    },
  };
}
