import type { CommandModule } from 'yargs';
import { daemonOptions, startFlags } from './start.js';

export const openCommand: CommandModule<object, Record<string, unknown>> = {
  command: 'open',
  describe: 'Open the daemon\'s page in the browser with a one-time login link (starts the daemon if needed)',
  builder: (y) =>
    daemonOptions(y)
      .option('browser', { type: 'boolean', default: true, describe: 'Open a browser (--no-browser: only print the link)' })
      .example('$0 open', 'start the daemon if needed and open http://127.0.0.1:47613/ logged in')
      .example('$0 open --no-browser', 'print the one-time login link, e.g. to open it in another browser') as never,
  handler: async (args) => {
    const { runOpen } = await import('../../client/open-page.js');
    process.exitCode = await runOpen({ ...startFlags(args), browser: args.browser as boolean });
  },
};
