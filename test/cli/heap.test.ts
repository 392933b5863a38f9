import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { HEAP_FLAGS, missingHeapFlags } from '../../src/cli/heap.ts';

describe('missingHeapFlags', () => {
  it.each([
    { execArgv: [], nodeOptions: '', missing: [...HEAP_FLAGS] },
    { execArgv: ['--max-semi-space-size=2', '--heap-growing-percent=30', '--import', 'tsx'], nodeOptions: '', missing: [] },
    // an operator's own values count as given
    { execArgv: ['--max-semi-space-size=8'], nodeOptions: '', missing: ['--heap-growing-percent=30'] },
    { execArgv: ['--heap_growing_percent=10'], nodeOptions: '--max-semi-space-size=1', missing: [] },
    { execArgv: ['--max-old-space-size=160'], nodeOptions: '  --max-semi-space-size=2  ', missing: ['--heap-growing-percent=30'] },
  ])('$execArgv + NODE_OPTIONS "$nodeOptions" → missing $missing', ({ execArgv, nodeOptions, missing }) => {
    expect(missingHeapFlags(execArgv, nodeOptions)).toEqual(missing);
  });
});

describe('bin/sluice.js', () => {
  it('passes HEAP_FLAGS to node in its shebang', async () => {
    const first = (await readFile(new URL('../../bin/sluice.js', import.meta.url), 'utf8')).split('\n')[0];
    expect(first).toBe(`#!/usr/bin/env -S node ${HEAP_FLAGS.join(' ')}`);
  });

  it('runs the command (dist/ when built, else the sources through tsx)', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, [fileURLToPath(new URL('../../bin/sluice.js', import.meta.url)), '--help']);
    expect(stdout).toMatch(/^usage: sluice <command>/);
  });
});
