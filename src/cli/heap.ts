/**
 * The V8 heap settings Sluice runs with. bin/sluice.js passes them to node in its shebang
 * (`npx sluice`, `npm start`, a container's `sluice start`); a process started as `node
 * bin/sluice.js` lacks them, and `sluice start` says so.
 *
 * Why: V8's defaults let a controller's heap grow far past its live data (bench
 * controller, 1,000 apps × 20 objects: ~315 MB peak RSS for ~105 MB live). A 2 MB
 * semi-space and a fixed 30 % growth step after each full GC keep it near the live data
 * (~200 MB) without a hard old-space cap, which would turn a larger fleet into an
 * out-of-memory crash. V8 reads both at start-up only, and node refuses
 * --heap-growing-percent in NODE_OPTIONS: they must be on node's command line.
 */
export const HEAP_FLAGS = ['--max-semi-space-size=2', '--heap-growing-percent=30'] as const;

/**
 * The HEAP_FLAGS this process was started without. A flag counts as given with any value
 * (an operator's own choice wins), spelled with dashes or underscores, on the command
 * line or in NODE_OPTIONS.
 */
export function missingHeapFlags(execArgv: readonly string[], nodeOptions = ''): string[] {
  const given = new Set([...execArgv, ...nodeOptions.split(/\s+/)].map(flagName));
  return HEAP_FLAGS.filter((flag) => !given.has(flagName(flag)));
}

function flagName(arg: string): string {
  return arg.split('=')[0]!.replaceAll('_', '-');
}
