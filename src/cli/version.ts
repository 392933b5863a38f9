/** `sluice --version`: the package's version (package.json sits one level above both src/ and dist/). */
import { readFileSync } from 'node:fs';

export function versionCommand(): number {
  const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
  process.stdout.write(`sluice ${version}\n`);
  return 0;
}
