import type { FastifyRequest } from 'fastify';
import type { ServerConfig } from '../config/server-config.ts';

/**
 * The origin (`https://host[:port]`) providers use to reach us: `PUBLIC_URL` when set
 * (behind proxies, always set it), otherwise the request's protocol and Host header.
 */
export function publicOrigin(request: FastifyRequest, config: ServerConfig): string {
  if (config.publicUrl) return config.publicUrl;
  return `${request.protocol}://${request.host}`;
}
