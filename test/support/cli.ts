/**
 * How tests run the `sluice` command: the TypeScript sources through tsx, like the rest of
 * the suite, so a stale dist/ never decides a result (bin/sluice.js, which runs dist/, is
 * timed by `npm run bench -- start`). Spawn `process.execPath` with `sluiceArgs(...)`.
 */
import { fileURLToPath } from 'node:url';
import { HEAP_FLAGS } from '../../src/cli/heap.ts';

const MAIN = fileURLToPath(new URL('../../src/main.ts', import.meta.url));

export function sluiceArgs(...args: string[]): string[] {
  return [...HEAP_FLAGS, '--import', 'tsx', MAIN, ...args];
}
