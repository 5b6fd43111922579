// The recon-daemon command line. One file per command under commands/; handlers import their
// implementation lazily so `recon-daemon --help` starts fast. A single failure path sets the exit code.
import yargs from 'yargs';
import { reconstructCommand } from './commands/reconstruct.js';
import { modelsCommand } from './commands/models.js';
import { startCommand } from './commands/start.js';
import { stopCommand } from './commands/stop.js';
import { statusCommand } from './commands/status.js';
import { restartCommand } from './commands/restart.js';
import { batchCommand } from './commands/batch.js';
import { watchCommand } from './commands/watch.js';
import { pluginsCommand } from './commands/plugins.js';
import { installAddonCommand } from './commands/install-addon.js';
import { workerCommand } from './commands/worker.js';
import { queueCommand } from './commands/queue.js';
import { openCommand } from './commands/open.js';

export function createCli(argv: string[]) {
  return yargs(argv)
    .scriptName('recon-daemon')
    .usage('$0 <command> [options]\n\nOne face photo → dense 3D face points, pose and more, on the CPU.')
    .command(reconstructCommand)
    .command(modelsCommand)
    .command(startCommand)
    .command(stopCommand)
    .command(statusCommand)
    .command(restartCommand)
    .command(openCommand)
    .command(batchCommand)
    .command(watchCommand)
    .command(workerCommand)
    .command(queueCommand)
    .command(pluginsCommand)
    .command(installAddonCommand)
    .demandCommand(1, 'Name a command: reconstruct, batch, watch, worker, queue, models, start, stop, status, restart, open, plugins (see --help)')
    .recommendCommands()
    .strict()
    .help()
    .version()
    .wrap(Math.min(110, process.stdout.columns || 100))
    .fail((msg, err) => {
      if (err) throw err;
      process.stderr.write(`error: ${msg}\nRun \`recon-daemon --help\` for usage.\n`);
      process.exit(2);
    });
}

export async function main(argv: string[]): Promise<void> {
  // `recon-daemon … | head` closes our stdout early: stop quietly instead of crashing on EPIPE.
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
      throw e;
    });
  }
  try {
    await createCli(argv).parseAsync();
  } catch (e) {
    const err = e as { message?: string; hint?: string };
    process.stderr.write(`error: ${err.message ?? String(e)}\n${err.hint ? `hint: ${err.hint}\n` : ''}`);
    process.exitCode = 1;
  }
}
