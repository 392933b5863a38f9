import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TokenStore } from '../../src/api/auth.ts';
import type { ApiController } from '../../src/api/context.ts';
import { createApiServer, type ApiServer } from '../../src/api/server.ts';
import { redisAvailable, startRedis, type TestRedis } from '../support/redis.ts';

describe.skipIf(!redisAvailable())('the built web UI', () => {
  let redis: TestRedis;
  let server: ApiServer;
  let url: string;
  beforeAll(async () => {
    redis = await startRedis();
    const dist = await mkdtemp(path.join(tmpdir(), 'sluice-web-'));
    await mkdir(path.join(dist, 'assets'));
    await writeFile(path.join(dist, 'index.html'), '<!doctype html><title>Sluice</title><script src="/assets/app.js"></script>');
    await writeFile(path.join(dist, 'assets', 'app.js'), 'console.log("ui")');
    const controller = { applications: [], liveObjects: () => [], syncInProgress: async () => undefined, ctx: undefined } as unknown as ApiController;
    server = await createApiServer({ controller, redisUrl: redis.url, tokens: new TokenStore([]), webDist: dist });
    url = await server.listen('127.0.0.1', 0);
  });
  afterAll(async () => {
    await server?.close();
    await redis?.stop();
  });

  it('serves index.html at / and for client routes, assets as files, under a self-only CSP', async () => {
    for (const route of ['/', '/apps/guestbook']) {
      const res = await fetch(`${url}${route}`);
      expect(res.status).toBe(200);
      expect(await res.text()).toContain('<title>Sluice</title>');
      const csp = res.headers.get('content-security-policy') ?? '';
      expect(csp).toContain("default-src 'self'");
      expect(csp).toContain("script-src 'self'");
      expect(csp).not.toMatch(/unsafe-inline|unsafe-eval|https?:/);
    }
    expect(await (await fetch(`${url}/assets/app.js`)).text()).toBe('console.log("ui")');
    const api = await fetch(`${url}/api/v1/nothing-here`);
    expect(api.status).toBe(404);
    expect(await api.json()).toMatchObject({ error: { code: 'NotFound' } });
  });
});
