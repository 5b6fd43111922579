import type { CommandModule } from 'yargs';
import type { WorkerArgs } from '../../cluster/worker-cli.js';

export const workerCommand: CommandModule<object, WorkerArgs> = {
  command: 'worker',
  describe: 'Take photos from a Redis queue fed by `batch --queue` and reconstruct them here, with warm models, until stopped (docs/cluster.md)',
  builder: (y) =>
    y
      .option('queue', { type: 'string', demandOption: true, describe: 'Redis URL: redis://host:6379/0, rediss:// for TLS; password in the URL or in RECON_QUEUE_PASSWORD' })
      .option('queue-name', { type: 'string', default: 'recon-batch', describe: 'Queue name within that Redis (the producer\'s --queue-name)' })
      .option('concurrency', { type: 'number', describe: 'Photos reconstructed at once: engine worker threads (default: number of cores)' })
      .option('lock-ms', { type: 'number', describe: 'How long this worker holds a photo without a sign of life before another may take it (default 30000)' })
      .option('grace-ms', { type: 'number', describe: 'On Ctrl-C / SIGTERM: how long photos in progress may finish before they are handed back (default 30000)' })
      .option('quiet', { alias: 'q', type: 'boolean', default: false, describe: 'No line per photo (Redis trouble is still told)' })
      .example('$0 worker --queue redis://10.0.0.5:6379/0', 'a worker per machine; inputs and outputs on shared storage, mounted at the same path')
      .example('RECON_QUEUE_PASSWORD=… $0 worker --queue rediss://redis.studio.lan:6380/0 --queue-name shoot-42', 'TLS and a password kept out of `ps`') as never,
  handler: async (args) => {
    const { runWorker } = await import('../../cluster/worker-cli.js');
    process.exitCode = await runWorker(args);
  },
};
