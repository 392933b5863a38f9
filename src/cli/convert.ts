/**
 * `sluice convert FILE`: Argo CD Applications (and sluice.dev ones, unchanged) printed in
 * the sluice.dev form, validated on the way; the Argo CD fields left out are warned about
 * on stderr, one line per app.
 */
import { stringify } from 'yaml';
import { formatLoadError, loadApplicationsFile } from '../app/load.ts';
import { CONVERT_USAGE } from './usage.ts';

export async function convertCommand(args: string[], out: NodeJS.WritableStream = process.stdout, err: NodeJS.WritableStream = process.stderr): Promise<number> {
  const [file, ...extra] = args;
  if (file === undefined || extra.length > 0 || file.startsWith('-')) {
    err.write(`sluice convert: give one FILE\n${CONVERT_USAGE}`);
    return 2;
  }
  const loaded = await loadApplicationsFile(file, { acceptArgocd: true });
  if (!loaded.ok) {
    for (const e of loaded.errors) err.write(`${formatLoadError(e)}\n`);
    return 1;
  }
  for (const warning of loaded.warnings) err.write(`warning: ${warning}\n`);
  out.write(loaded.objects.map((object) => stringify(object)).join('---\n'));
  return 0;
}
