import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dashboardRoutes } from '../src/routes/dashboard.ts';
import { installErrorHandling } from '../src/routes/errors.ts';

async function dashboardApp(root: string) {
  const app = Fastify({ logger: false });
  installErrorHandling(app);
  app.get('/api/agents', () => ({ agents: [] }));
  await app.register(dashboardRoutes({ root }));
  return app;
}

let built: string;
let empty: string;

beforeAll(async () => {
  built = await mkdtemp(path.join(tmpdir(), 'parley-dashboard-'));
  await mkdir(path.join(built, 'assets'));
  await writeFile(
    path.join(built, 'index.html'),
    '<!doctype html><title>Parley</title><div id="root"></div>',
  );
  await writeFile(path.join(built, 'assets', 'index-abc123.js'), 'console.log(1)');
  await writeFile(path.join(built, 'secret.txt'), 'not served');
  empty = await mkdtemp(path.join(tmpdir(), 'parley-dashboard-empty-'));
});

afterAll(async () => {
  await rm(built, { recursive: true, force: true });
  await rm(empty, { recursive: true, force: true });
});

describe('the dashboard', () => {
  it('serves index.html at / and at every client-side route, with a strict CSP', async () => {
    const app = await dashboardApp(built);
    try {
      for (const url of [
        '/',
        '/login',
        '/agents',
        '/agents/42/flow',
        '/calls/abc',
        '/settings/telephony',
        '/users',
      ]) {
        const response = await app.inject({ url });
        expect(response.statusCode, url).toBe(200);
        expect(response.headers['content-type'], url).toMatch(/^text\/html/);
        expect(response.body).toContain('<title>Parley</title>');
        expect(response.headers['content-security-policy']).toContain("script-src 'self'");
        expect(response.headers['content-security-policy']).toContain("frame-ancestors 'none'");
      }
    } finally {
      await app.close();
    }
  });

  it('serves the hashed assets with a long cache, and leaves the API its own routes', async () => {
    const app = await dashboardApp(built);
    try {
      const asset = await app.inject({ url: '/assets/index-abc123.js' });
      expect(asset.statusCode).toBe(200);
      expect(asset.headers['cache-control']).toContain('immutable');
      expect((await app.inject({ url: '/api/agents' })).json()).toEqual({ agents: [] });
      const unknownApi = await app.inject({ url: '/api/nothing-here' });
      expect(unknownApi.statusCode).toBe(404);
      expect(unknownApi.json()).toMatchObject({ error: { code: 'not_found' } });
    } finally {
      await app.close();
    }
  });

  it('serves no other file of the folder', async () => {
    const app = await dashboardApp(built);
    try {
      for (const url of ['/secret.txt', '/index.html', '/assets/../secret.txt', '/../server/package.json']) {
        const response = await app.inject({ url });
        expect(response.statusCode, url).toBe(404);
      }
    } finally {
      await app.close();
    }
  });

  it('answers 503 saying how to build it when the dashboard is not built', async () => {
    const app = await dashboardApp(empty);
    try {
      const response = await app.inject({ url: '/agents' });
      expect(response.statusCode).toBe(503);
      expect(response.json()).toMatchObject({ error: { code: 'dashboard_not_built' } });
      expect(response.json().error.message).toContain('npm run build');
    } finally {
      await app.close();
    }
  });
});
