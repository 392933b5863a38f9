#!/usr/bin/env -S node --max-semi-space-size=2 --heap-growing-percent=30
// Runs the TypeScript sources directly (through tsx), so `npx sluice` works right after `npm ci`.
// The node flags above are src/cli/heap.ts's HEAP_FLAGS (why they are there: see that file).
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/cli.ts');
process.exitCode = await main(process.argv.slice(2));
