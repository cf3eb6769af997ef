/**
 * Per-address rate limits on the provider webhooks (`/telephony/*`) and the API (`/api/*`),
 * with `@fastify/rate-limit`'s store. Checked in `onRequest`, before a body is read.
 */
import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance } from 'fastify';
import type { ServerLimits } from '../config/server-config.ts';
import { sendApiError } from '../routes/errors.ts';
import type { RefusalCounters } from './refusals.ts';

const MINUTE_MS = 60_000;

/**
 * Registers `@fastify/rate-limit` on `app` (with no global limit: routes may still set their
 * own with `config.rateLimit`) and limits each address to `limits.webhooksPerMinute` requests
 * to `/telephony/*` and `limits.apiRequestsPerMinute` to `/api/*` a minute, each in its own
 * window. A request over its limit gets 429 `too_many_requests` with `Retry-After` (seconds),
 * is logged as a warning and counted as `rate_limited`. The address is `request.ip` (the
 * socket's, unless it is a trusted proxy: see `TRUST_PROXY`).
 */
export async function installRateLimits(
  app: FastifyInstance,
  limits: ServerLimits,
  refusals: RefusalCounters,
): Promise<void> {
  await app.register(rateLimit, { global: false });
  const buckets = [
    {
      prefix: '/telephony/',
      check: app.createRateLimit({ max: limits.webhooksPerMinute, timeWindow: MINUTE_MS }),
    },
    {
      prefix: '/api/',
      check: app.createRateLimit({ max: limits.apiRequestsPerMinute, timeWindow: MINUTE_MS }),
    },
  ];
  app.addHook('onRequest', async (request, reply) => {
    const bucket = buckets.find((b) => request.url.startsWith(b.prefix));
    if (!bucket) return;
    const result = await bucket.check(request);
    if (result.isAllowed || !result.isExceeded) return;
    refusals.count('rate_limited');
    request.log.warn({ ip: request.ip, url: request.url, max: result.max }, 'rate limit exceeded');
    reply.header('retry-after', result.ttlInSeconds);
    return sendApiError(
      reply,
      429,
      'too_many_requests',
      `More than ${result.max} requests a minute; retry in ${result.ttlInSeconds} s`,
    );
  });
}
