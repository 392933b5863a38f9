/** An API server on a real controller: embedded cluster, git http-backend, redis-server. */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Application } from '../../src/app/types.ts';
import { hashToken, TokenStore, type Role } from '../../src/api/auth.ts';
import type { RolloutOperations } from '../../src/api/rollout-port.ts';
import type { WebhookOptions } from '../../src/api/routes-webhooks.ts';
import { createApiServer, type ApiServer } from '../../src/api/server.ts';
import { Controller } from '../../src/controller/controller.ts';
import { GitSource } from '../../src/git/index.ts';
import { kubeClientFor, type KubeClient } from '../../src/kube/client.ts';
import { startSimCluster, type SimCluster } from '../../src/sim/index.ts';
import { startGitServer, type GitServer, type TestRepo } from '../support/git-server.ts';
import { startRedis, type TestRedis } from '../support/redis.ts';

export const TOKENS: Record<Role, string> = { viewer: 'viewer-token-1', operator: 'operator-token-2', admin: 'admin-token-3' };

export interface Harness {
  readonly cluster: SimCluster;
  readonly git: GitServer;
  readonly repo: TestRepo;
  readonly redis: TestRedis;
  readonly kube: KubeClient;
  readonly controller: Controller;
  readonly server: ApiServer;
  readonly url: string;
  /** fetch against the server with a role's token (or none). */
  call<T = unknown>(method: string, route: string, opts?: { role?: Role; body?: unknown; headers?: Record<string, string> }): Promise<{ status: number; body: T; headers: Headers }>;
  stop(): Promise<void>;
}

export async function startHarness(opts: {
  files: Record<string, string>;
  apps: (repoURL: string) => Application[];
  rollouts?: RolloutOperations;
  webhooks?: WebhookOptions;
  pingMs?: number;
}): Promise<Harness> {
  const [cluster, git, redis] = await Promise.all([startSimCluster({ port: 0 }), startGitServer(), startRedis()]);
  const kube = await kubeClientFor(cluster.url);
  const repo = await git.createRepo('apps');
  await repo.commit(opts.files, 'first');
  const controller = await Controller.start({
    apps: opts.apps(repo.url),
    git: new GitSource({ cacheDir: await mkdtemp(path.join(tmpdir(), 'sluice-api-git-')) }),
    kube,
    redisUrl: redis.url,
    selfHealDebounceMs: 100,
    log: () => undefined,
  });
  const tokens = new TokenStore((Object.entries(TOKENS) as [Role, string][]).map(([role, token]) => ({ name: `${role}-bot`, role, sha256: hashToken(token) })));
  const server = await createApiServer({
    controller,
    redisUrl: redis.url,
    tokens,
    ...(opts.rollouts === undefined ? {} : { rollouts: opts.rollouts }),
    ...(opts.webhooks === undefined ? {} : { webhooks: opts.webhooks }),
    ...(opts.pingMs === undefined ? {} : { pingMs: opts.pingMs }),
  });
  const url = await server.listen('127.0.0.1', 0);
  return {
    cluster,
    git,
    repo,
    redis,
    kube,
    controller,
    server,
    url,
    async call<T>(method: string, route: string, o: { role?: Role; body?: unknown; headers?: Record<string, string> } = {}) {
      const headers: Record<string, string> = { ...(o.role === undefined ? {} : { authorization: `Bearer ${TOKENS[o.role]}` }), ...o.headers };
      if (o.body !== undefined) headers['content-type'] ??= 'application/json';
      const res = await fetch(`${url}${route}`, { method, headers, ...(o.body === undefined ? {} : { body: typeof o.body === 'string' ? o.body : JSON.stringify(o.body) }) });
      const text = await res.text();
      let body: unknown = text;
      try {
        body = JSON.parse(text);
      } catch {
        // not JSON (metrics)
      }
      return { status: res.status, body: body as T, headers: res.headers };
    },
    async stop() {
      await server.close();
      await controller.stop();
      await kube.close();
      await Promise.all([cluster.stop(), git.stop(), redis.stop()]);
    },
  };
}
