import type { CommandModule } from 'yargs';

interface Args {
  timeout?: number;
}

export const stopCommand: CommandModule<object, Args> = {
  command: 'stop',
  describe: 'Stop the daemon gracefully: running jobs finish (or are cancelled after the grace period), clients are told',
  builder: (y) => y.option('timeout', { type: 'number', describe: 'Seconds to wait before killing it (default 30)' }) as never,
  handler: async (args) => {
    const { runStop } = await import('../../server/lifecycle.js');
    process.exitCode = await runStop({ timeout: args.timeout });
  },
};
