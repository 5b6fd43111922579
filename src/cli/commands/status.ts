import type { CommandModule } from 'yargs';

interface Args {
  json: boolean;
}

export const statusCommand: CommandModule<object, Args> = {
  command: 'status',
  describe: 'Is the daemon running? Address, uptime, workers, queue. Exit code 0 running, 3 not running',
  builder: (y) =>
    y.option('json', {
      type: 'boolean',
      default: false,
      describe: 'Print one JSON object: {running, responding, url, pid, version, tokenFile, logFile, status?}',
    }) as never,
  handler: async (args) => {
    const { runStatus } = await import('../../server/lifecycle.js');
    process.exitCode = await runStatus({ json: args.json });
  },
};
