import { execFileSync } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';

export type TestCertificates = Record<'ca' | 'serverCert' | 'serverKey' | 'clientCert' | 'clientKey', Buffer>;

/**
 * A CA, a server certificate for the DNS name `serverName` and a client certificate for
 * CN=`clientName`, made with openssl in `dir` (valid one day): TLS tests need real ones.
 */
export async function makeCertificates(dir: string, serverName: string, clientName: string): Promise<TestCertificates> {
  const ssl = (args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  ssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '1', '-subj', '/CN=test-ca']);
  for (const [name, subject, ext] of [['server', `/CN=${serverName}`, `subjectAltName=DNS:${serverName}`], ['client', `/CN=${clientName}`, 'extendedKeyUsage=clientAuth']] as const) {
    ssl(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', subject]);
    await writeFile(path.join(dir, `${name}.ext`), `${ext}\n`);
    ssl(['x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', `${name}.crt`, '-days', '1', '-extfile', `${name}.ext`]);
  }
  const read = (f: string) => readFile(path.join(dir, f));
  return { ca: await read('ca.crt'), serverCert: await read('server.crt'), serverKey: await read('server.key'), clientCert: await read('client.crt'), clientKey: await read('client.key') };
}
