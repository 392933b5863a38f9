/**
 * A chart archive (.tgz, as `helm package` writes it) read into a file map without touching
 * the disk: regular files only (links, devices and directories are skipped, so nothing in an
 * archive can point outside it), names checked like repository paths, sizes bounded. Reads
 * ustar, GNU long names (`L`) and pax `path` records. Pure.
 */
import { gunzipSync } from 'node:zlib';
import { CHART_FILE } from './helm.ts';
import { checkRenderPath } from './paths.ts';

export interface ArchiveLimits {
  readonly maxFiles: number;
  readonly maxTotalBytes: number;
}

const BLOCK = 512;

function field(header: Buffer, start: number, length: number): string {
  const raw = header.subarray(start, start + length);
  const end = raw.indexOf(0);
  return raw.subarray(0, end === -1 ? raw.length : end).toString('utf8');
}

function paxPath(body: Buffer): string | undefined {
  // records: "<length> <key>=<value>\n"
  let at = 0;
  let path: string | undefined;
  while (at < body.length) {
    const space = body.indexOf(0x20, at);
    const length = Number(body.subarray(at, space).toString('ascii'));
    if (space === -1 || !Number.isInteger(length) || length <= 0) break;
    const record = body.subarray(space + 1, at + length - 1).toString('utf8');
    if (record.startsWith('path=')) path = record.slice('path='.length);
    at += length;
  }
  return path;
}

/** The archive's regular files, keyed by their path in it (`<chart>/templates/x.yaml`). */
export function readChartArchive(gz: Uint8Array, limits: ArchiveLimits): { ok: true; files: Map<string, Buffer> } | { ok: false; message: string } {
  let tar: Buffer;
  try {
    tar = gunzipSync(gz, { maxOutputLength: limits.maxTotalBytes + 64 * BLOCK });
  } catch (e) {
    return { ok: false, message: `the chart archive is not a readable gzip stream (${(e as Error).message})` };
  }
  const files = new Map<string, Buffer>();
  let total = 0;
  let longName: string | undefined;
  for (let at = 0; at + BLOCK <= tar.length; ) {
    const header = tar.subarray(at, at + BLOCK);
    if (header.every((b) => b === 0)) break;
    const size = parseInt(field(header, 124, 12).trim() || '0', 8);
    if (!Number.isSafeInteger(size) || size < 0 || at + BLOCK + size > tar.length) return { ok: false, message: 'the chart archive is truncated or corrupt' };
    const body = tar.subarray(at + BLOCK, at + BLOCK + size);
    at += BLOCK + Math.ceil(size / BLOCK) * BLOCK;
    const type = String.fromCharCode(header[156] ?? 0);
    if (type === 'L') {
      longName = field(body, 0, body.length);
      continue;
    }
    if (type === 'x') {
      longName = paxPath(body) ?? longName;
      continue;
    }
    const prefix = field(header, 345, 155);
    const name = longName ?? (prefix !== '' ? `${prefix}/${field(header, 0, 100)}` : field(header, 0, 100));
    longName = undefined;
    if (type !== '0' && type !== '\0') continue;
    const checked = checkRenderPath(name);
    if (!checked.ok || checked.path === '') return { ok: false, message: `the chart archive holds a file outside the chart: ${JSON.stringify(name)}` };
    total += size;
    if (files.size + 1 > limits.maxFiles) return { ok: false, message: `the chart archive has more than ${limits.maxFiles} files` };
    if (total > limits.maxTotalBytes) return { ok: false, message: `the chart archive unpacks to more than ${limits.maxTotalBytes} bytes` };
    files.set(checked.path, Buffer.from(body));
  }
  return { ok: true, files };
}

/** A packaged chart's files with the archive's top directory (`<chart>/`) taken off, so Chart.yaml is at the root. */
export function readChartPackage(gz: Uint8Array, limits: ArchiveLimits): { ok: true; files: Map<string, Buffer> } | { ok: false; message: string } {
  const read = readChartArchive(gz, limits);
  if (!read.ok) return read;
  const top = [...read.files.keys()].find((key) => key.split('/').length === 2 && key.endsWith(`/${CHART_FILE}`))?.split('/')[0];
  if (top === undefined) return { ok: false, message: `the chart archive holds no <chart>/${CHART_FILE}` };
  const files = new Map<string, Buffer>();
  for (const [key, contents] of read.files) if (key.startsWith(`${top}/`)) files.set(key.slice(top.length + 1), contents);
  return { ok: true, files };
}
