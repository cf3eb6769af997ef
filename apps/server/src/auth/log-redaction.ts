/**
 * What pino must never write: credentials in request and response headers. Fastify's default
 * request serializer logs no headers; these paths cover anything that logs them anyway.
 */

/** pino `redact` paths. */
export const LOG_REDACT_PATHS: string[] = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-csrf-token"]',
  'headers.authorization',
  'headers.cookie',
  'headers["x-csrf-token"]',
  'res.headers["set-cookie"]',
];
