/**
 * The dashboard's static files. For now a placeholder page; the React app replaces it later.
 */
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyPluginAsync } from 'fastify';

/** Options of {@link dashboardRoutes}. */
export interface DashboardOptions {
  /** Directory holding `index.html`. @defaultValue the repository's `apps/dashboard` */
  readonly root?: string;
}

/** `apps/dashboard`, from this file's location (`apps/server/src/routes`). */
const DEFAULT_DASHBOARD_ROOT = fileURLToPath(new URL('../../../dashboard/', import.meta.url));

/**
 * `GET /` (and `HEAD /`): the dashboard's `index.html`, as a Fastify plugin (register it with
 * `app.register(dashboardRoutes())`). Serves no other file of the directory. 404 JSON (from
 * the app's not-found handler) if the file is missing.
 */
export function dashboardRoutes(options: DashboardOptions = {}): FastifyPluginAsync {
  const root = options.root ?? DEFAULT_DASHBOARD_ROOT;
  return async (app) => {
    await app.register(fastifyStatic, { serve: false });
    app.get('/', (_request, reply) => reply.sendFile('index.html', root));
  };
}
