/**
 * Child process for `npm run bench -- git`: serves a generated repository over the real
 * `git http-backend`, so the server's CPU is not shared with the client being measured.
 * Prints `{"url": ...}` once ready; `commit` lines on stdin add commits (for the fetch bench).
 */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { startGitServer } from '../test/support/git-server.ts';

const FILES = Number(process.env.GIT_BENCH_FILES ?? 5_000);
const COMMITS = Number(process.env.GIT_BENCH_COMMITS ?? 200);
const DIRS = 50;

function manifest(i: number, revision: number): string {
  const name = `app-${String(i).padStart(5, '0')}`;
  return [
    'apiVersion: v1',
    'kind: ConfigMap',
    'metadata:',
    `  name: ${name}`,
    '  namespace: bench',
    `  labels: {app: ${name}, tier: t${i % 7}}`,
    'data:',
    `  revision: "${revision}"`,
    `  payload: "${'x'.repeat(200 + (i % 300))}"`,
    '',
  ].join('\n');
}

const pathOf = (i: number) => `apps/group-${String(i % DIRS).padStart(2, '0')}/cm-${String(i).padStart(5, '0')}.yaml`;

/** A fast-import stream: one commit with every file, then commits touching 25 files each. */
function history(): string {
  const out: string[] = [];
  const data = (text: string) => `data ${Buffer.byteLength(text)}\n${text}`;
  for (let c = 0; c < COMMITS; c++) {
    const time = 1_700_000_000 + c * 60;
    out.push('commit refs/heads/main', `author Bench <bench@example.com> ${time} +0000`, `committer Bench <bench@example.com> ${time} +0000`, data(`commit ${c}`));
    const touched = c === 0 ? [...Array(FILES).keys()] : Array.from({ length: 25 }, (_, k) => (c * 37 + k * 199) % FILES);
    for (const i of touched) out.push(`M 100644 inline ${pathOf(i)}`, data(manifest(i, c)));
    out.push('');
  }
  return out.join('\n');
}

function run(cmd: string, args: string[], cwd: string, input?: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd, stdio: ['pipe', 'ignore', 'inherit'] });
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`${cmd} ${args.join(' ')} exited ${code}`))));
    child.stdin.on('error', () => undefined); // a failing git reports through its exit code
    child.stdin.end(input);
  });
}

const server = await startGitServer();
const repo = await server.createRepo('manifests');
await run('git', ['fast-import', '--quiet'], repo.bareDir, history());
await run('git', ['gc', '--quiet'], repo.bareDir);
console.log(JSON.stringify({ url: repo.url, files: FILES, commits: COMMITS }));

let extra = 0;
for await (const line of createInterface({ input: process.stdin })) {
  if (line.trim() !== 'commit') continue;
  extra += 1;
  const files: Record<string, string> = {};
  for (let k = 0; k < 10; k++) files[pathOf((extra * 101 + k * 13) % FILES)] = manifest(k, COMMITS + extra);
  const time = 1_700_000_000 + (COMMITS + extra) * 60;
  const stream = ['commit refs/heads/main', `author Bench <bench@example.com> ${time} +0000`, `committer Bench <bench@example.com> ${time} +0000`, `data 5\nmore\n`, 'from refs/heads/main^0'];
  for (const [p, text] of Object.entries(files)) stream.push(`M 100644 inline ${p}`, `data ${Buffer.byteLength(text)}\n${text}`);
  await run('git', ['fast-import', '--quiet'], repo.bareDir, `${stream.join('\n')}\n`);
  console.log(JSON.stringify({ committed: extra }));
}
await server.stop();
