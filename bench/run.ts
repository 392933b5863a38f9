/**
 * `npm run bench -- [name...]`: runs bench/<name>.ts's exported `run()` for each name given,
 * or every registered bench when none is. Exit code: 0 when every bench passed its targets,
 * 1 when one failed, 2 on usage errors.
 */

interface Bench {
  /** resolves to the process exit code: 0 when the bench met its targets; `args` are the words after its name that name no bench */
  run(args?: readonly string[]): Promise<number>;
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
  'kustomize-corpus': () => import('./kustomize-corpus.ts'),
};

/** Benches that take arguments (e.g. a directory), and so are never run without naming them. */
const TAKES_ARGUMENTS: ReadonlySet<string> = new Set(['kustomize-corpus']);

/** The command line as benches with their arguments: words that name no bench belong to the one before, if it takes any. */
function parseArgv(argv: readonly string[]): { runs: { name: string; args: string[] }[]; unknown: string[] } {
  const runs: { name: string; args: string[] }[] = [];
  const unknown: string[] = [];
  for (const word of argv) {
    const last = runs[runs.length - 1];
    if (Object.hasOwn(BENCHES, word)) runs.push({ name: word, args: [] });
    else if (last !== undefined && TAKES_ARGUMENTS.has(last.name)) last.args.push(word);
    else unknown.push(word);
  }
  return { runs, unknown };
}

async function main(argv: readonly string[]): Promise<number> {
  const known = Object.keys(BENCHES);
  const parsed = parseArgv(argv);
  const runs = argv.length > 0 ? parsed.runs : known.filter((n) => !TAKES_ARGUMENTS.has(n)).map((name) => ({ name, args: [] }));
  if (parsed.unknown.length > 0) {
    console.error(`bench: unknown benchmark ${parsed.unknown.map((n) => `"${n}"`).join(', ')}; available: ${known.join(', ')}`);
    console.error('usage: npm run bench -- [name [args...]...]');
    return 2;
  }
  let code = 0;
  for (const { name, args } of runs) {
    if (runs.length > 1) console.log(`\n=== bench ${name} ===`);
    try {
      const bench = await BENCHES[name]!();
      code = Math.max(code, await bench.run(args));
    } catch (e) {
      console.error(`bench ${name}: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
      code = Math.max(code, 1);
    }
  }
  return code;
}

process.exitCode = await main(process.argv.slice(2));
