/** `npx tsx bench/profile-summary.ts <dir-with-.cpuprofile> [top]`: hot functions and files of the busiest profile. */
import { renderSummary, summarizeDir } from './lib/cpuprofile.ts';

const [dir, top] = process.argv.slice(2);
if (!dir) {
  console.error('usage: tsx bench/profile-summary.ts <dir> [top]');
  process.exitCode = 2;
} else {
  const summary = await summarizeDir(dir, top ? Number(top) : 30);
  if (summary) console.log(renderSummary(summary));
  else console.error(`no .cpuprofile in ${dir}`);
}
