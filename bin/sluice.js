#!/usr/bin/env -S node --max-semi-space-size=2 --heap-growing-percent=30
// Runs the compiled JavaScript in dist/ (`npm run build`, which `npm ci` runs through the
// prepare script); a checkout that was never built runs the TypeScript through tsx instead.
// The node flags above are src/cli/heap.ts's HEAP_FLAGS (why they are there: see that file).
import { existsSync } from 'node:fs';

const built = new URL('../dist/main.js', import.meta.url);
if (existsSync(built)) {
  await import(built.href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import('../src/main.ts');
}
