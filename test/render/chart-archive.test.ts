/**
 * Chart archives read in memory: a real `helm package` archive, and hand-made ones an attacker
 * could serve — a name leaving the chart, a symlink, a pax long name, too many bytes.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { readChartArchive, readChartPackage } from '../../src/render/chart-archive.ts';
import { FIXTURES, helmOracle } from '../support/helm.ts';

const LIMITS = { maxFiles: 100, maxTotalBytes: 1024 * 1024 };

/** One ustar entry: a header (name, octal size, type, checksum) and the body padded to 512 bytes. */
function entry(name: string, body: string, type = '0', linkname = ''): Buffer {
  const header = Buffer.alloc(512);
  header.write(name, 0, 100);
  header.write('0000644\0', 100);
  header.write(`${Buffer.byteLength(body).toString(8).padStart(11, '0')}\0`, 124);
  header.write(type, 156);
  header.write(linkname, 157, 100);
  header.write('ustar\x0000', 257);
  header.fill(' ', 148, 156);
  let sum = 0;
  for (const b of header) sum += b;
  header.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148);
  const data = Buffer.alloc(Math.ceil(Buffer.byteLength(body) / 512) * 512);
  data.write(body);
  return Buffer.concat([header, data]);
}

const tgz = (...entries: Buffer[]) => gzipSync(Buffer.concat([...entries, Buffer.alloc(1024)]));
const pax = (path: string) => {
  const record = ` path=${path}\n`;
  const length = record.length + String(record.length + 2).length;
  return `${length}${record}`;
};

describe('readChartArchive', () => {
  it('reads what helm package wrote, Chart.yaml at the root after the top directory', () => {
    const out = mkdtempSync(join(tmpdir(), 'sluice-archive-'));
    try {
      helmOracle(['package', join(FIXTURES, 'served', 'greeting'), '--destination', out]);
      const read = readChartPackage(readFileSync(join(out, readdirSync(out)[0]!)), LIMITS);
      if (!read.ok) throw new Error(read.message);
      expect([...read.files.keys()].sort()).toEqual(['Chart.yaml', 'templates/configmap.yaml', 'values.yaml']);
      expect(read.files.get('values.yaml')!.toString()).toBe(readFileSync(join(FIXTURES, 'served', 'greeting', 'values.yaml'), 'utf8'));
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });

  it.each([
    ['a name leaving the chart', tgz(entry('web/Chart.yaml', 'name: web\n'), entry('../evil.yaml', 'x')), /outside the chart: "\.\.\/evil\.yaml"/],
    ['an absolute name', tgz(entry('/etc/passwd', 'x')), /outside the chart/],
    ['a pax path leaving the chart', tgz(entry('PaxHeader', pax('web/../../x'), 'x'), entry('web/x', 'y')), /outside the chart: "web\/\.\.\/\.\.\/x"/],
    ['more bytes than the limit', tgz(entry('web/big', 'x'.repeat(2000))), /unpacks to more than 1000 bytes/],
  ])('refuses %s', (_, archive, message) => {
    const read = readChartArchive(archive, { maxFiles: 10, maxTotalBytes: 1000 });
    expect(read).toEqual({ ok: false, message: expect.stringMatching(message) });
  });

  it('skips links and directories, and takes a pax long name', () => {
    const long = `web/templates/${'n'.repeat(120)}.yaml`;
    const read = readChartArchive(tgz(entry('web/', '', '5'), entry('web/Chart.yaml', 'name: web\n'), entry('web/link', '', '2', '/etc/passwd'), entry('PaxHeader', pax(long), 'x'), entry('web/short', 'k: v\n')), LIMITS);
    expect(read.ok && [...read.files.keys()]).toEqual(['web/Chart.yaml', long]);
  });
});
