// `recon-daemon install-addon blender`: builds an editor add-on from integrations/ with the shared Python client
// (integrations/python/recon_client) vendored in and install.json recording how to run this CLI.
//   blender: recon_bridge-<version>.zip (Blender 3.4+ add-on and 4.2+ extension); --blender installs + enables it.
// The builders live in ../addons/ and are imported lazily, so `recon-daemon --help` starts fast.
import type { CommandModule } from 'yargs';

// Kept here for callers that import them from the command (tests): the implementations are in ../addons/.
export { joinCommand, installInfo, INSTALL_INFO, CLI_SCRIPT } from '../addons/sources.js';
export { writeZip, type ZipEntry } from '../addons/zip.js';

interface Args {
  app: 'blender';
  out?: string;
  blender?: string;
}

async function blender(args: Args): Promise<void> {
  const { buildBlenderAddonZip, installIntoBlender } = await import('../addons/blender.js');
  const r = buildBlenderAddonZip(args.out);
  process.stdout.write(`Wrote ${r.file} (recon_bridge ${r.version}, ${r.files} files, ${r.bytes} bytes)\n`);
  if (r.cli) process.stdout.write(`Its Start Daemon button runs: ${r.cli} start (editable in the add-on's preferences)\n`);
  if (args.blender) {
    await installIntoBlender(args.blender, r.file);
    process.stdout.write(`Installed and enabled recon_bridge in ${args.blender} (saved in its user preferences)\n`);
    return;
  }
  process.stdout.write(
    [
      'Install it in Blender:',
      '  Blender 3.4–4.1: Edit ▸ Preferences ▸ Add-ons ▸ Install… ▸ pick the zip ▸ tick "Face Recon (recon-daemon)"',
      '  Blender 4.2+:    Edit ▸ Preferences ▸ Get Extensions ▸ ⌄ ▸ Install from Disk… ▸ pick the zip',
      'Then: 3D View ▸ Sidebar (N) ▸ Face Recon. Start the daemon first: recon-daemon start',
      '',
    ].join('\n'),
  );
}

export const installAddonCommand: CommandModule<object, Args> = {
  command: 'install-addon <app>',
  describe: 'Build the editor add-on: `install-addon blender` writes recon_bridge-<version>.zip for Blender 3.4+ (and 4.2+ extensions)',
  builder: (y) =>
    y
      .positional('app', { choices: ['blender'] as const, describe: 'Which editor (blender)' })
      .option('out', { alias: 'o', type: 'string', describe: 'Zip file to write (default ./recon_bridge-<version>.zip)' })
      .option('blender', {
        type: 'string',
        describe: 'Also install and enable it in this Blender (path of the blender executable), in its user preferences',
      })
      .example('$0 install-addon blender', 'writes ./recon_bridge-0.1.0.zip; install it in Blender: Edit ▸ Preferences ▸ Add-ons ▸ Install…')
      .example('$0 install-addon blender --blender /usr/bin/blender', 'builds the zip and installs + enables it in that Blender') as never,
  handler: async (args) => {
    await blender(args);
  },
};
