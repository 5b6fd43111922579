import type { CommandModule } from 'yargs';
import type { WatchArgs } from '../../batch/cli.js';
import { sharedOptions } from './batch.js';

export const watchCommand: CommandModule<object, WatchArgs> = {
  command: 'watch [dir]',
  describe: 'Keep a folder reconstructed: the photos in it, then every new or changed one, into an output folder with a manifest (like batch) until Ctrl-C; or manage the daemon\'s own watches',
  builder: (y) =>
    sharedOptions(y)
      .positional('dir', { type: 'string', describe: 'The folder to watch' })
      .option('new-only', { type: 'boolean', default: false, describe: 'Skip the photos already in the folder' })
      .option('recursive', { type: 'boolean', default: true, describe: 'Watch sub-folders too (--no-recursive: only the folder itself)' })
      .option('stable-ms', { type: 'number', describe: 'A photo counts as written once its size has not changed for this long (default 1000 ms)' })
      .option('detach', { type: 'boolean', default: false, describe: 'Have the running daemon watch the folder (watch.add, persistent): results go to its output root and to subscribed clients' })
      .option('list', { type: 'boolean', default: false, describe: "List the daemon's watches" })
      .option('remove', { type: 'string', describe: "Stop one of the daemon's watches, by id" })
      .check((a) => {
        if (a.list || a.remove) return true;
        if (!a.dir) throw new Error('Name the folder to watch (or use --list / --remove <id>)');
        if (!a.detach && !a.output) throw new Error('Missing -o <output folder> (or use --detach to let the daemon keep the results)');
        return true;
      })
      .example('$0 watch ./incoming -o ./dataset --layout pairs', 'reconstruct what is there and every photo that arrives')
      .example('$0 watch ~/Pictures/refs --detach', 'the daemon watches the folder; Blender/Unity clients get watch.result')
      .example('$0 watch --list', "the daemon's watches") as never,
  handler: async (args) => {
    const { runWatch } = await import('../../batch/cli.js');
    process.exitCode = await runWatch(args);
  },
};
