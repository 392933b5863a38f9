/**
 * `sluice diff` and `sluice sync`: one app, in-process, no server or queue — what a CI
 * pipeline runs. Exit codes follow `kubectl diff`: 0 in sync (or synced), 1 out of sync
 * (or the sync failed), 2 usage, setup or render errors.
 */
import { parseArgs } from 'node:util';
import type { Application } from '../app/types.ts';
import { textDiff } from '../diff/text-diff.ts';
import type { KubeClient } from '../kube/client.ts';
import { formatRenderError } from '../render/format.ts';
import { appRef, compareApp, isRenderFailure } from '../sync/compare.ts';
import { syncApp } from '../sync/operation.ts';
import { keyString } from '../sync/resource-key.ts';
import { isTrackedBy } from '../sync/tracking.ts';
import type { CompareContext } from '../sync/compare.ts';
import { admitApplication, describeViolations, objectViolations, type ProjectContext } from '../sync/project-gate.ts';
import { gitSource, kubeClient } from '../connect.ts';
import { appFromFile, ignoreDifferencesFromFile } from './common.ts';
import { APP_USAGE } from './usage.ts';


export interface Streams {
  readonly out: NodeJS.WritableStream;
  readonly err: NodeJS.WritableStream;
}

const STDIO: Streams = { out: process.stdout, err: process.stderr };

const APP_OPTIONS = {
  apps: { type: 'string' },
  app: { type: 'string' },
  revision: { type: 'string' },
  server: { type: 'string' },
  'cache-dir': { type: 'string' },
  'ignore-differences': { type: 'string' },
  'accept-argocd': { type: 'boolean' },
} as const;

interface AppArgs {
  readonly apps?: string | undefined;
  readonly app?: string | undefined;
  readonly revision?: string | undefined;
  readonly server?: string | undefined;
  readonly 'cache-dir'?: string | undefined;
  readonly 'ignore-differences'?: string | undefined;
  readonly 'accept-argocd'?: boolean | undefined;
}

/** Loads the named app and connects to git and the cluster, or says why not (exit 2). */
async function setUp(command: string, values: AppArgs, io: Streams): Promise<{ app: Application; ctx: CompareContext & ProjectContext & { kube: KubeClient } } | number> {
  if (values.apps === undefined || values.app === undefined) {
    io.err.write(`sluice ${command}: --apps FILE and --app NAME are required\n${APP_USAGE}`);
    return 2;
  }
  const loaded = await appFromFile(values.apps, values.app, { acceptArgocd: values['accept-argocd'] === true }, (warning) => io.err.write(`${warning}\n`));
  if (typeof loaded === 'string') {
    io.err.write(`sluice ${command}: ${loaded}\n`);
    return 2;
  }
  const { app, projects } = loaded;
  const ignoreDifferences = await ignoreDifferencesFromFile(values['ignore-differences']);
  if (typeof ignoreDifferences === 'string') {
    io.err.write(`sluice ${command}: ${ignoreDifferences}\n`);
    return 2;
  }
  try {
    return { app, ctx: { git: gitSource(values['cache-dir']), kube: await kubeClient(values.server), ignoreDifferences, projects } };
  } catch (e) {
    io.err.write(`sluice ${command}: ${(e as Error).message}\n`);
    return 2;
  }
}

function usageError(command: string, e: unknown, io: Streams): number {
  io.err.write(`sluice ${command}: ${(e as Error).message}\n${APP_USAGE}`);
  return 2;
}

export async function diffCommand(args: string[], io: Streams = STDIO): Promise<number> {
  let values: AppArgs;
  try {
    values = parseArgs({ args, options: APP_OPTIONS }).values;
  } catch (e) {
    return usageError('diff', e, io);
  }
  const setup = await setUp('diff', values, io);
  if (typeof setup === 'number') return setup;
  const { app, ctx } = setup;
  try {
    // an app its project refuses cannot sync whatever the diff says: said first, exit 2 like a render error
    const admitted = admitApplication(ctx, app);
    if ('refusal' in admitted) {
      io.err.write(`sluice diff: ${app.name}: ${admitted.refusal}\n`);
      return 2;
    }
    const result = await compareApp(ctx, app, values.revision);
    if (isRenderFailure(result)) {
      for (const e of result.errors) io.err.write(`${formatRenderError(e)}\n`);
      io.err.write(`sluice diff: rendering ${app.spec.source.path} failed at ${result.revision.slice(0, 7)}\n`);
      return 2;
    }
    const violations = await objectViolations(ctx, app, admitted.project, result.desired);
    for (const problem of result.problems) io.err.write(`${problem.message}\n`);
    const differing = result.resources.filter((r) =>
      r.desired !== undefined ? r.diff.status !== 'Synced' : r.live !== undefined && isTrackedBy(r.live, appRef(app)),
    );
    for (const r of differing) {
      io.out.write(textDiff({ ...(r.live ? { live: r.live } : {}), ...(r.desired && r.diff.predicted ? { predicted: r.diff.predicted } : {}), name: keyString(r.key) }));
    }
    io.err.write(`${app.name}: ${result.status} at ${result.revision.slice(0, 7)} (${differing.length} of ${result.resources.length} objects differ), health ${result.health}\n`);
    if (violations.length > 0) {
      io.err.write(`sluice diff: ${app.name}: ${describeViolations(violations)}\n`);
      return 2;
    }
    return result.status === 'Synced' ? 0 : 1;
  } catch (e) {
    io.err.write(`sluice diff: ${(e as Error).message}\n`);
    return 2;
  } finally {
    await ctx.kube.close();
  }
}

export async function syncCommand(args: string[], io: Streams = STDIO): Promise<number> {
  let values: AppArgs & { 'dry-run'?: boolean | undefined; prune?: boolean | undefined; resource?: string[] | undefined };
  try {
    values = parseArgs({ args, options: { ...APP_OPTIONS, 'dry-run': { type: 'boolean' }, prune: { type: 'boolean' }, resource: { type: 'string', multiple: true } } }).values;
  } catch (e) {
    return usageError('sync', e, io);
  }
  const setup = await setUp('sync', values, io);
  if (typeof setup === 'number') return setup;
  const { app, ctx } = setup;
  try {
    const result = await syncApp(ctx, app, {
      trigger: 'manual',
      dryRun: values['dry-run'] === true,
      ...(values.revision === undefined ? {} : { revision: values.revision }),
      ...(values.prune === undefined ? {} : { prune: values.prune }),
      ...(values.resource === undefined ? {} : { only: new Set(values.resource) }),
    });
    for (const warning of result.warnings) io.err.write(`warning: ${warning}\n`);
    for (const e of result.renderErrors) io.err.write(`${formatRenderError(e)}\n`);
    for (const r of result.resources) io.out.write(`${r.action.padEnd(10)} ${keyString(r.key)}${r.message ? `: ${r.message}` : ''}\n`);
    io.err.write(`${app.name}: ${result.phase}: ${result.message}\n`);
    return result.phase === 'Succeeded' ? 0 : 1;
  } finally {
    await ctx.kube.close();
  }
}
