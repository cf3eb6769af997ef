import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { dashboardRoutes } from '../src/routes/dashboard.ts';
import { installErrorHandling } from '../src/routes/errors.ts';

async function dashboardApp(root?: string) {
  const app = Fastify({ logger: false });
  installErrorHandling(app);
  await app.register(dashboardRoutes(root === undefined ? {} : { root }));
  return app;
}

describe('GET /', () => {
  it('serves the placeholder page of apps/dashboard linking to the API and health', async () => {
    const app = await dashboardApp();
    try {
      const response = await app.inject({ url: '/' });
      expect(response.statusCode).toBe(200);
      expect(response.headers['content-type']).toMatch(/^text\/html/);
      expect(response.body).toContain('<title>Parley</title>');
      expect(response.body).toMatch(/dashboard arrives soon/i);
      expect(response.body).toContain('href="/api/calls"');
      expect(response.body).toContain('href="/health"');
    } finally {
      await app.close();
    }
  });

  it('serves no other file of the dashboard folder', async () => {
    const app = await dashboardApp();
    try {
      for (const url of ['/package.json', '/README.md', '/index.html', '/../server/package.json']) {
        const response = await app.inject({ url });
        expect(response.statusCode, url).toBe(404);
        expect(response.json()).toMatchObject({ error: { code: 'not_found' } });
      }
    } finally {
      await app.close();
    }
  });

  it('answers 404 JSON when index.html is missing', async () => {
    const empty = await mkdtemp(path.join(tmpdir(), 'parley-dashboard-'));
    const app = await dashboardApp(empty);
    try {
      const response = await app.inject({ url: '/' });
      expect(response.statusCode).toBe(404);
      expect(response.json()).toMatchObject({ error: { code: 'not_found' } });
    } finally {
      await app.close();
      await rm(empty, { recursive: true, force: true });
    }
  });
});
