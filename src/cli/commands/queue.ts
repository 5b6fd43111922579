import type { CommandModule } from 'yargs';
import type { QueueArgs } from '../../cluster/status.js';

interface Args extends QueueArgs {
  action: 'status' | 'clear';
}

export const queueCommand: CommandModule<object, Args> = {
  command: 'queue <action>',
  describe: 'A Redis queue of `batch --queue`: `queue status` (photos waiting, active, completed, failed; workers connected), `queue clear` (remove the photos still waiting)',
  builder: (y) =>
    y
      .positional('action', { choices: ['status', 'clear'] as const, demandOption: true, describe: 'status or clear' })
      .option('queue', { type: 'string', demandOption: true, describe: 'Redis URL: redis://host:6379/0, rediss:// for TLS; password in the URL or in RECON_QUEUE_PASSWORD' })
      .option('queue-name', { type: 'string', default: 'recon-batch', describe: 'Queue name within that Redis' })
      .option('json', { type: 'boolean', default: false, describe: 'Print one JSON object' })
      .example('$0 queue status --queue redis://10.0.0.5:6379/0', 'how far the farm is, and which workers are connected') as never,
  handler: async (args) => {
    const { runQueueClear, runQueueStatus } = await import('../../cluster/status.js');
    process.exitCode = args.action === 'clear' ? await runQueueClear(args) : await runQueueStatus(args);
  },
};
