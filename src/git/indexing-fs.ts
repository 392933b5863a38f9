import * as nodeFs from 'node:fs';
import { ExternalBaseError, indexPack } from './pack-index.ts';

/** Stops isomorphic-git's fetch once the pack and our index for it are on disk. */
export class PackIndexed extends Error {}

const PACK_FILE = /\/objects\/pack\/pack-[0-9a-f]{40}\.pack$/;

/**
 * The file system handed to isomorphic-git's fetch. When it writes the received pack —
 * its last step, after refs and the shallow list — we write the pack and index it with
 * `indexPack`, then throw PackIndexed so isomorphic-git's own, much slower indexing never
 * runs. A thin pack (delta bases outside it) is left to isomorphic-git.
 */
export function indexingFs(): { fs: typeof nodeFs } {
  let written = false;
  const writeFile: typeof nodeFs.promises.writeFile = async (file, data, options) => {
    if (typeof file !== 'string' || !PACK_FILE.test(file) || !(data instanceof Uint8Array)) {
      return nodeFs.promises.writeFile(file, data, options);
    }
    // isomorphic-git retries a failed write once after mkdir; the second call only rethrows.
    if (!written) {
      let index: Buffer;
      try {
        index = indexPack(Buffer.from(data.buffer, data.byteOffset, data.byteLength));
      } catch (e) {
        if (e instanceof ExternalBaseError) return nodeFs.promises.writeFile(file, data, options);
        throw e;
      }
      await nodeFs.promises.writeFile(file, data);
      await nodeFs.promises.writeFile(file.replace(/\.pack$/, '.idx'), index);
      written = true;
    }
    throw new PackIndexed();
  };
  return { fs: { promises: { ...nodeFs.promises, writeFile } } as unknown as typeof nodeFs };
}
