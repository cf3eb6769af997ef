/**
 * The body limit of provider webhooks: their form bodies hold a few dozen short fields (a
 * Twilio voice webhook is about 1 KB), so anything near the API's 1 MiB limit is not one.
 */
import type { FastifyInstance } from 'fastify';

/** The largest body a `/telephony/*` route reads, bytes; a longer one gets 413. */
export const WEBHOOK_BODY_LIMIT_BYTES = 64 * 1024;

/** Gives every `/telephony/*` route registered on `app` after this call {@link WEBHOOK_BODY_LIMIT_BYTES}. */
export function limitWebhookBodies(app: FastifyInstance): void {
  app.addHook('onRoute', (route) => {
    if (route.url.startsWith('/telephony/') && route.bodyLimit === undefined) {
      route.bodyLimit = WEBHOOK_BODY_LIMIT_BYTES;
    }
  });
}
