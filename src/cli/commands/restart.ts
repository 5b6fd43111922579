import type { CommandModule } from 'yargs';
import { daemonOptions, startFlags } from './start.js';

export const restartCommand: CommandModule<object, Record<string, unknown>> = {
  command: 'restart',
  describe: 'Stop the daemon if it runs, then start it (takes the same options as start)',
  builder: (y) => daemonOptions(y).option('timeout', { type: 'number', describe: 'Seconds to wait for the old daemon to stop (default 30)' }) as never,
  handler: async (args) => {
    const { runRestart } = await import('../../server/lifecycle.js');
    process.exitCode = await runRestart({ ...startFlags(args), timeout: args.timeout as number | undefined });
  },
};
