/**
 * The `sluice` command: one module per command, imported when that command runs, so
 * `sluice --help` and a local render start without loading the controller, the embedded
 * cluster or Git.
 */
import { USAGE } from './cli/usage.ts';

const LOCAL_ROLLOUT_FLAGS = new Set(['--app', '--apps', '--from-cluster']);

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  // every command answers --help; app, rollout and start print their own part
  if (command !== undefined && !['app', 'rollout', 'start'].includes(command) && (rest.includes('--help') || rest.includes('-h'))) {
    process.stdout.write(USAGE);
    return 0;
  }
  try {
    switch (command) {
      case 'sim':
        return await (await import('./cli/cluster.ts')).simCommand(rest);
      case 'render':
        return await (await import('./cli/render.ts')).renderCommand(rest);
      case 'start':
        return await (await import('./cli/start.ts')).startCommand(rest);
      case 'demo':
        return await (await import('./cli/cluster.ts')).demoCommand(rest);
      case 'diff':
        return await (await import('./cli/app-commands.ts')).diffCommand(rest);
      case 'convert':
        return await (await import('./cli/convert.ts')).convertCommand(rest);
      case 'sync':
        return await (await import('./cli/app-commands.ts')).syncCommand(rest);
      case 'login':
        return await (await import('./cli/api-commands.ts')).loginCommand(rest);
      case 'logout':
        return await (await import('./cli/api-commands.ts')).logoutCommand();
      case 'app':
        return await (await import('./cli/api-commands.ts')).appApiCommand(rest);
      case 'rollout':
        // `--app NAME` with `--apps FILE | --from-cluster` acts through Redis; `rollout SUB NAME` through the API server
        if (rest.some((a) => LOCAL_ROLLOUT_FLAGS.has(a.split('=')[0]!))) return await (await import('./cli/rollout-commands.ts')).rolloutCommand(command, rest);
        return await (await import('./cli/api-commands.ts')).rolloutApiCommand(rest);
      case 'rollback':
      case 'unpin':
        return await (await import('./cli/rollout-commands.ts')).rolloutCommand(command, rest);
      case '--version':
      case 'version':
        return (await import('./cli/version.ts')).versionCommand();
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        process.stdout.write(USAGE);
        return command === undefined ? 2 : 0;
      default:
        console.error(`sluice: unknown command "${command}"\n${USAGE}`);
        return 2;
    }
  } catch (e) {
    console.error(`sluice ${command ?? ''}: ${e instanceof Error ? e.message : String(e)}`);
    return 1;
  }
}
