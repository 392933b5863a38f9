/** The process entry of `sluice`: bin/sluice.js loads its compiled form (dist/main.js). */
import { main } from './cli.ts';

process.exitCode = await main(process.argv.slice(2));
