/**
 * The dashboard: the React app built by `apps/dashboard` (`npm run build -w @parley/dashboard`),
 * served from its `dist` folder with the client-side routes answered by its `index.html`.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import { sendApiError } from './errors.ts';

/** Options of {@link dashboardRoutes}. */
export interface DashboardOptions {
  /** The built dashboard (holding `index.html` and `assets/`). @defaultValue the repository's `apps/dashboard/dist` */
  readonly root?: string;
}

/** `apps/dashboard/dist`, from this file's location (`apps/server/src/routes`). */
const DEFAULT_DASHBOARD_ROOT = fileURLToPath(new URL('../../../dashboard/dist/', import.meta.url));

/** Top-level paths of the app's client-side routes (see `apps/dashboard/src/App.tsx`). */
const CLIENT_ROUTES = ['login', 'agents', 'tools', 'calls', 'live', 'settings', 'users', 'api-keys'];

/**
 * The page's own content only: scripts and styles from this origin (React Flow sets inline
 * styles), media from this origin or blobs (the recording player, the test call), no framing.
 */
const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "media-src 'self' blob:",
  "worker-src 'self' blob:",
  "connect-src 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "form-action 'self'",
].join('; ');

/**
 * `GET /` and the client-side routes (`/agents/…`, `/calls/…`, …): the dashboard's
 * `index.html`, with a strict Content-Security-Policy; `GET /assets/*`: its hashed files,
 * cached for a year. Registered as a Fastify plugin (`app.register(dashboardRoutes())`). When the
 * dashboard is not built, those pages answer 503 `dashboard_not_built` saying how to build it.
 */
export function dashboardRoutes(options: DashboardOptions = {}): FastifyPluginAsync {
  const root = options.root ?? DEFAULT_DASHBOARD_ROOT;
  return async (app) => {
    // Only `assets/` is served, even before it is built (no fallback to the whole folder).
    await app.register(fastifyStatic, {
      root: path.join(root, 'assets'),
      suppressWarning: true,
      prefix: '/assets/',
      index: false,
      wildcard: true,
      immutable: true,
      maxAge: '365d',
    });
    const sendIndex = (reply: FastifyReply) => {
      if (!existsSync(path.join(root, 'index.html'))) {
        return sendApiError(
          reply,
          503,
          'dashboard_not_built',
          'The dashboard is not built: run `npm run build -w @parley/dashboard` (npm start does it)',
        );
      }
      return reply
        .header('content-security-policy', CONTENT_SECURITY_POLICY)
        .header('x-content-type-options', 'nosniff')
        .header('referrer-policy', 'same-origin')
        .header('cache-control', 'no-cache')
        .sendFile('index.html', root);
    };
    app.get('/', (_request, reply) => sendIndex(reply));
    for (const route of CLIENT_ROUTES) {
      app.get(`/${route}`, (_request, reply) => sendIndex(reply));
      app.get(`/${route}/*`, (_request, reply) => sendIndex(reply));
    }
  };
}
