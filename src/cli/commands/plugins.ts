import type { CommandModule } from 'yargs';

interface Args {
  action?: string;
  command?: string;
  args?: string[];
  json: boolean;
}

export const pluginsCommand: CommandModule<object, Args> = {
  command: 'plugins [action] [command] [args..]',
  describe: "The running daemon's plugins: `plugins` lists them (state, and the reason of failures), `plugins exec <command> [args..]` runs a plugin command",
  builder: (y) =>
    y
      .positional('action', { choices: ['list', 'exec'] as const, default: 'list', describe: 'list (default) or exec' })
      .positional('command', { type: 'string', describe: 'exec: the command id, e.g. sample.hello' })
      .positional('args', { type: 'string', array: true, describe: 'exec: arguments, each parsed as JSON when it is JSON (42, true, {"a":1}), else a string' })
      .option('json', { type: 'boolean', default: false, describe: 'list: print the plugins.list result as JSON' })
      .example('$0 plugins', 'list plugins and their state')
      .example('$0 plugins exec sample.hello Ana', 'run a command; prints its value as JSON') as never,
  handler: async (args) => {
    const { runPluginsExec, runPluginsList } = await import('../../plugins/cli-commands.js');
    if (args.action === 'exec') {
      if (!args.command) throw Object.assign(new Error('Name the command to run: recon-daemon plugins exec <command> [args..]'), { hint: '`recon-daemon plugins` lists the commands.' });
      process.exitCode = await runPluginsExec(args.command, args.args ?? []);
    } else process.exitCode = await runPluginsList({ json: args.json });
  },
};
