/**
 * An attacker's view of the dashboard's static serving: no file outside `assets/` is reachable,
 * however the path is encoded, and every HTML answer carries the Content-Security-Policy.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dashboardRoutes } from '../src/routes/dashboard.ts';
import { installErrorHandling } from '../src/routes/errors.ts';

const SECRET = 'secret-file-content-4242';

async function dashboardApp(root: string) {
  const app = Fastify({ logger: false });
  installErrorHandling(app);
  await app.register(dashboardRoutes({ root }));
  return app;
}

let parent: string;
let built: string;
let noAssets: string;

beforeAll(async () => {
  // parent/secret.txt and parent/dist/secret.txt must stay out of reach of parent/dist/assets.
  parent = await mkdtemp(path.join(tmpdir(), 'parley-sec-dashboard-'));
  built = path.join(parent, 'dist');
  await mkdir(path.join(built, 'assets'), { recursive: true });
  await writeFile(path.join(parent, 'secret.txt'), SECRET);
  await writeFile(path.join(parent, 'package.json'), `{"secret":"${SECRET}"}`);
  await writeFile(path.join(built, 'secret.txt'), SECRET);
  await writeFile(path.join(built, 'index.html'), '<!doctype html><title>Parley</title>');
  await writeFile(path.join(built, 'assets', 'app-1.js'), 'console.log(1)');
  // A folder with index.html but no assets/ (a partial build).
  noAssets = path.join(parent, 'partial');
  await mkdir(noAssets);
  await writeFile(path.join(noAssets, 'index.html'), '<!doctype html><title>Parley</title>');
  await writeFile(path.join(noAssets, 'secret.txt'), SECRET);
});

afterAll(async () => {
  await rm(parent, { recursive: true, force: true });
});

const TRAVERSALS = [
  '/assets/../secret.txt',
  '/assets/../../secret.txt',
  '/assets/../../package.json',
  '/assets/%2e%2e/secret.txt',
  '/assets/%2e%2e/%2e%2e/package.json',
  '/assets/..%2fsecret.txt',
  '/assets/..%2f..%2fpackage.json',
  '/assets/%2e%2e%2fsecret.txt',
  '/assets/..%5csecret.txt',
  '/assets/..\\secret.txt',
  '/assets/%252e%252e/secret.txt',
  '/assets/....//secret.txt',
  '/assets/%c0%ae%c0%ae/secret.txt',
  '/assets/./../secret.txt',
  '/assets//../secret.txt',
  '/assets/%00../secret.txt',
  '/assets/app-1.js%00.html',
  '/secret.txt',
  '/index.html',
  '/../package.json',
  '/%2e%2e/package.json',
];

describe('the dashboard, attacked', () => {
  it('serves no file outside assets/, however the path is encoded', async () => {
    const app = await dashboardApp(built);
    try {
      for (const url of TRAVERSALS) {
        const res = await app.inject({ url });
        expect(res.body, url).not.toContain(SECRET);
        expect(res.statusCode, url).toBeGreaterThanOrEqual(400);
        expect(res.statusCode, url).toBeLessThan(500);
      }
      expect((await app.inject({ url: '/assets/app-1.js' })).statusCode).toBe(200);
    } finally {
      await app.close();
    }
  });

  it('serves nothing of the folder as assets when assets/ is missing', async () => {
    const app = await dashboardApp(noAssets);
    try {
      for (const url of ['/assets/secret.txt', '/assets/index.html']) {
        const res = await app.inject({ url });
        expect(res.body, url).not.toContain(SECRET);
        expect(res.headers['content-type'] ?? '', url).not.toMatch(/^text\/html/);
      }
    } finally {
      await app.close();
    }
  });

  it('puts the CSP and nosniff on every HTML answer, HEAD and odd client paths included', async () => {
    const app = await dashboardApp(built);
    try {
      for (const url of ['/', '/live', '/live/x', '/api-keys', '/calls/%3Cscript%3E', '/agents/a/b/c?x=1']) {
        for (const method of ['GET', 'HEAD'] as const) {
          const res = await app.inject({ method, url });
          expect(res.statusCode, `${method} ${url}`).toBe(200);
          expect(res.headers['content-type'], url).toMatch(/^text\/html/);
          const csp = String(res.headers['content-security-policy']);
          expect(csp, `${method} ${url}`).toContain("default-src 'self'");
          expect(csp).toContain("script-src 'self'");
          expect(csp).not.toContain("script-src 'self' 'unsafe-inline'");
          expect(csp).toContain("frame-ancestors 'none'");
          expect(res.headers['x-content-type-options']).toBe('nosniff');
        }
      }
    } finally {
      await app.close();
    }
  });
});
