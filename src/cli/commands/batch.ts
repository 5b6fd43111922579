import type { Argv, CommandModule } from 'yargs';
import type { BatchArgs, EngineArgs } from '../../batch/cli.js';

/** The options `batch` and `watch` share: engine, layout, filters, runner, progress. */
export function sharedOptions<T>(y: Argv<T>): Argv<T & EngineArgs> {
  return y
    .option('output', { alias: 'o', type: 'string', describe: 'Output folder: per-photo folders or the pairs layout, manifest.jsonl, manifest.csv, summary.json' })
    .option('layout', { type: 'string', choices: ['folders', 'pairs'], default: 'folders', describe: 'folders: <out>/<photo>/…; pairs: images/, structure/ (+ depth/, normal/… when asked), results/' })
    .option('outputs', { type: 'string', describe: 'Comma-separated subset of: crop, structure, depth, normal, mask, front-structure, front-depth, front-normal, front-mask, obj, glb, overlay, turntable (default: all but turntable; pairs: crop,structure)' })
    .option('faces', { type: 'string', choices: ['largest', 'all'], default: 'largest', describe: 'Reconstruct the largest face, or every face (one set of outputs each)' })
    .option('min-verdict', { type: 'string', choices: ['pass', 'warn', 'fail'], default: 'fail', describe: 'Keep images only for photos whose quality verdict is at least this (fail keeps all)' })
    .option('max-yaw', { type: 'number', describe: 'Keep images only for faces turned at most this many degrees (|yaw|)' })
    .option('size', { type: 'number', describe: 'Side of the square images in pixels, 128–1024 (default 256)' })
    .option('detail', { type: 'number', describe: "Share of the photo's fine detail in the structure maps, 0–1 (default 0.5)" })
    .option('view', { type: 'string', choices: ['front', 'camera'], describe: 'Frame of face.obj/face.glb: front (head frame; default) or camera (as the photo saw it)' })
    .option('subdivisions', { type: 'number', describe: 'Loop subdivision levels of the exported mesh, 0–3 (default 1)' })
    .option('force', { type: 'boolean', default: false, describe: 'Write images and mesh even when the quality verdict is fail' })
    .option('max-pixels', { type: 'number', describe: 'Decoded-pixel limit per photo (default 50000000)' })
    .option('quality', { type: 'string', array: true, describe: 'Override a quality threshold, e.g. --quality yawFail=50 (embedded only; docs/quality.md)' })
    .option('workers', { type: 'number', describe: 'Embedded worker threads (default: number of cores); implies --embedded' })
    .option('daemon', { type: 'boolean', describe: 'Require the running daemon (default: use it when it runs, else embedded worker threads)' })
    .option('embedded', { type: 'boolean', describe: 'Use embedded worker threads even when the daemon runs' })
    .conflicts('daemon', 'embedded')
    .option('redo', { type: 'boolean', default: false, describe: 'Reconstruct every photo again, even those already done' })
    .option('progress', { type: 'string', choices: ['auto', 'bar', 'lines', 'none'], default: 'auto', describe: 'Progress on stderr: a bar on a terminal, one line per photo otherwise' })
    .option('quiet', { alias: 'q', type: 'boolean', default: false, describe: 'No progress, only the summary' })
    .option('json', { type: 'boolean', default: false, describe: 'Print the summary as one JSON object on stdout' }) as unknown as Argv<T & EngineArgs>;
}

export const batchCommand: CommandModule<object, BatchArgs> = {
  command: 'batch <inputs...>',
  describe: 'Reconstruct every photo in folders (recursively) or globs into a dataset: per-photo folders or photo → structure-map pairs, a manifest and a summary; resumable',
  builder: (y) =>
    sharedOptions(y)
      .positional('inputs', { type: 'string', array: true, demandOption: true, describe: 'Folders (searched recursively), globs ("photos/**/*.jpg", quoted) or photo files' })
      .option('queue', { type: 'string', describe: 'Hand the photos to the workers of a Redis queue (redis://host:6379/0, rediss:// for TLS) instead of running them here; inputs and -o must be on storage every worker sees (docs/cluster.md)' })
      .option('queue-name', { type: 'string', default: 'recon-batch', describe: 'Queue name within that Redis (keys recon:<name>:*); workers must use the same' })
      .demandOption('output')
      .example('$0 batch ./photos -o ./dataset', 'every photo under ./photos → ./dataset/<photo>/…, manifest.jsonl, manifest.csv')
      .example('$0 batch ./photos -o ./pairs --layout pairs --min-verdict warn --max-yaw 25', 'aligned crop → structure map pairs of the usable, near-frontal faces')
      .example('$0 batch "shoot/**/*.jpg" -o out --embedded --workers 2', 'embedded worker threads, without the daemon')
      .example('$0 batch /mnt/shoot -o /mnt/dataset --queue redis://10.0.0.5:6379/0', 'many machines: `recon-daemon worker --queue …` on each (docs/cluster.md)') as never,
  handler: async (args) => {
    const { runBatch } = await import('../../batch/cli.js');
    process.exitCode = await runBatch(args);
  },
};
