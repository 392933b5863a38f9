/** `sluice --version`: the package's version (package.json sits two levels above src/cli/ and dist/cli/). */
import { readFileSync } from 'node:fs';

export function versionCommand(): number {
  const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  process.stdout.write(`sluice ${version}\n`);
  return 0;
}
