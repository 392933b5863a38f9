import path from 'node:path';
import { parseArgs } from 'node:util';
import { stringify } from 'yaml';
import { renderSource } from '../render/index.ts';
import { legacyOrder } from '../render/kustomize-order.ts';
import { formatRenderError } from '../render/format.ts';
import { readLocalTree, renderRoot, type LocalTree } from './local-files.ts';
import { RENDER_USAGE } from './usage.ts';


/** Exit codes: 0 rendered, 1 render or fetch errors (on stderr), 2 usage. */
export async function renderCommand(args: string[], out: NodeJS.WritableStream = process.stdout, err: NodeJS.WritableStream = process.stderr): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      allowPositionals: true,
      options: {
        repo: { type: 'string' },
        revision: { type: 'string' },
        path: { type: 'string' },
        'cache-dir': { type: 'string' },
        root: { type: 'string' },
        'no-recurse': { type: 'boolean', default: false },
        'no-kustomize-binary': { type: 'boolean', default: false },
      },
    });
  } catch (e) {
    err.write(`sluice render: ${(e as Error).message}\n${RENDER_USAGE}`);
    return 2;
  }
  const { values, positionals } = parsed;
  if ((values.repo === undefined) === (positionals.length !== 1) || positionals.length > 1) {
    err.write(`sluice render: give either one DIR or --repo URL\n${RENDER_USAGE}`);
    return 2;
  }
  if (values.repo === undefined && values.revision !== undefined) {
    err.write('sluice render: --revision needs --repo\n');
    return 2;
  }

  let files: LocalTree;
  let renderPath: string;
  let origin: string;
  try {
    if (values.repo !== undefined) {
      // loaded only here: a local render starts without isomorphic-git and the kube client
      const { gitSource } = await import('../connect.ts');
      const repo = gitSource(values['cache-dir']).repository(values.repo);
      const resolved = await repo.resolve(values.revision ?? 'HEAD');
      for (const warning of resolved.warnings) err.write(`warning: ${warning}\n`);
      files = await repo.readFiles(resolved.sha);
      renderPath = values.path ?? '.';
      origin = `${repo.url} at ${resolved.sha.slice(0, 7)} (${resolved.revision})`;
    } else {
      const located = await renderRoot(positionals[0]!, values.root);
      files = await readLocalTree(located.root, located.gitWorkTree);
      renderPath = values.path === undefined ? located.path : path.posix.join(located.path, values.path);
      origin = located.root;
    }
  } catch (e) {
    err.write(`sluice render: ${(e as Error).message}\n`);
    return 1;
  }

  let result;
  try {
    result = await renderSource(files.files, {
      path: renderPath,
      symlinks: files.symlinks,
      recurse: !values['no-recurse'],
      kustomizeBinary: values['no-kustomize-binary'] ? 'never' : 'auto',
    });
  } catch (e) {
    // a local file that cannot be read, or too many bytes read (files are read as the renderer reaches them)
    err.write(`sluice render: ${(e as Error).message}\n`);
    return 1;
  }
  if (!result.ok) {
    for (const e of result.errors) err.write(`${formatRenderError(e)}\n`);
    err.write(`sluice render: ${result.errors.length} error${result.errors.length === 1 ? '' : 's'}; nothing rendered from ${origin}\n`);
    return 1;
  }
  const ordered = legacyOrder(result.objects);
  // YAML 1.1 quoting, so strings like "yes" and "0755" stay strings for kubectl.
  out.write(ordered.map((o) => stringify(o.object, { version: '1.1', sortMapEntries: true, lineWidth: 0 })).join('---\n'));
  err.write(`rendered ${ordered.length} object${ordered.length === 1 ? '' : 's'} from ${origin}, path ${renderPath}\n`);
  return 0;
}
