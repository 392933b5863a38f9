/**
 * `npm run bench -- [name...]`: runs bench/<name>.ts's exported `run()` for each name given,
 * or every registered bench when none is. Exit code: 0 when every bench passed its targets,
 * 1 when one failed, 2 on usage errors.
 */

interface Bench {
  /** resolves to the process exit code: 0 when the bench met its targets */
  run(): Promise<number>;
}

/** Registered benches; each loads only when it runs. */
const BENCHES: Record<string, () => Promise<Bench>> = {
  sim: () => import('./sim.ts'),
  fleet: () => import('./fleet.ts'),
  render: () => import('./render.ts'),
  git: () => import('./git.ts'),
  kube: () => import('./kube.ts'),
  diff: () => import('./diff.ts'),
  sync: () => import('./sync.ts'),
  controller: () => import('./controller.ts'),
  ui: () => import('./ui.ts'),
  webhook: () => import('./webhook.ts'),
  start: () => import('./start.ts'),
  rollout: () => import('./rollout.ts'),
  faults: () => import('./faults.ts'),
};

async function main(argv: readonly string[]): Promise<number> {
  const known = Object.keys(BENCHES);
  const names = argv.length > 0 ? argv : known;
  const unknown = names.filter((n) => !Object.hasOwn(BENCHES, n));
  if (unknown.length > 0) {
    console.error(`bench: unknown benchmark ${unknown.map((n) => `"${n}"`).join(', ')}; available: ${known.join(', ')}`);
    console.error('usage: npm run bench -- [name...]');
    return 2;
  }
  let code = 0;
  for (const name of names) {
    if (names.length > 1) console.log(`\n=== bench ${name} ===`);
    try {
      const bench = await BENCHES[name]!();
      code = Math.max(code, await bench.run());
    } catch (e) {
      console.error(`bench ${name}: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
      code = Math.max(code, 1);
    }
  }
  return code;
}

process.exitCode = await main(process.argv.slice(2));
