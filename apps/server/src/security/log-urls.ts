/**
 * Request URLs as logged: one-time stream tokens travel in query strings (`/ws/browser/…?token=`,
 * Exotel's stream URL), and Fastify logs every request's URL, so their values are masked.
 */
import type { FastifyRequest } from 'fastify';

/** Query parameters whose values are credentials. */
const SECRET_PARAMS = /([?&](?:token|access_token|api_key|key)=)[^&#]*/gi;

/** `url` with the value of each credential query parameter replaced by `[redacted]`. */
export function redactUrlSecrets(url: string): string {
  return url.replace(SECRET_PARAMS, '$1[redacted]');
}

/** Fastify's request log serializer (method, url, host, remote address), with {@link redactUrlSecrets} applied to the URL. */
export function requestSerializer(request: FastifyRequest): Record<string, unknown> {
  return {
    method: request.method,
    url: redactUrlSecrets(request.url),
    host: request.host,
    remoteAddress: request.ip,
    remotePort: request.socket?.remotePort,
  };
}
