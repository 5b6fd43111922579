// `recon-daemon install-addon blender|maya`: builds an editor add-on from integrations/ with the shared Python
// client (integrations/python/recon_client) vendored in and install.json recording how to run this CLI.
//   blender: recon_bridge-<version>.zip (Blender 3.4+ add-on and 4.2+ extension); --blender installs + enables it.
//   maya:    recon_maya-<version>.zip (a Maya 2022+ module: recon_maya.mod + recon_maya/); --modules-dir installs it.
// The builders live in ../addons/ and are imported lazily, so `recon-daemon --help` starts fast.
import type { CommandModule } from 'yargs';

// Kept here for callers that import them from the command (tests): the implementations are in ../addons/.
export { joinCommand, installInfo, INSTALL_INFO, CLI_SCRIPT } from '../addons/sources.js';
export { writeZip, type ZipEntry } from '../addons/zip.js';

interface Args {
  app: 'blender' | 'maya';
  out?: string;
  blender?: string;
  modulesDir?: string;
}

async function blender(args: Args): Promise<void> {
  if (args.modulesDir) throw Object.assign(new Error('--modules-dir is for `install-addon maya`'), { hint: 'For Blender use --blender <path of the blender executable>.' });
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

async function maya(args: Args): Promise<void> {
  if (args.blender) throw Object.assign(new Error('--blender is for `install-addon blender`'), { hint: 'For Maya use --modules-dir <Maya modules folder>.' });
  const { buildMayaModule, defaultModulesDir } = await import('../addons/maya.js');
  const r = buildMayaModule({ zipOut: args.out, modulesDir: args.modulesDir });
  if (r.zip) process.stdout.write(`Wrote ${r.zip.file} (recon_maya ${r.version}, ${r.files} files, ${r.zip.bytes} bytes)\n`);
  if (r.modulesDir) process.stdout.write(`Installed recon_maya ${r.version} into ${r.modulesDir} (recon_maya.mod and recon_maya/, ${r.files} files)\n`);
  if (r.cli) process.stdout.write(`Its Start Daemon menu item runs: ${r.cli} start (editable in Face Recon ▸ Preferences…)\n`);
  const lines = r.modulesDir
    ? ['Restart Maya 2022+: the Face Recon menu and the FaceRecon shelf appear. Start the daemon first: recon-daemon start']
    : [
        'Install it in Maya 2022+: unzip it into your modules folder, e.g.',
        `  unzip ${r.zip!.file} -d ${defaultModulesDir()}`,
        `  (or: recon-daemon install-addon maya --modules-dir ${defaultModulesDir()})`,
        'Then restart Maya: Face Recon ▸ Reconstruct from photo…, or the FaceRecon shelf. Start the daemon first: recon-daemon start',
      ];
  process.stdout.write(`${lines.join('\n')}\n`);
}

export const installAddonCommand: CommandModule<object, Args> = {
  command: 'install-addon <app>',
  describe: 'Build an editor add-on: `blender` writes recon_bridge-<version>.zip (Blender 3.4+), `maya` recon_maya-<version>.zip (a Maya 2022+ module)',
  builder: (y) =>
    y
      .positional('app', { choices: ['blender', 'maya'] as const, describe: 'Which editor' })
      .option('out', { alias: 'o', type: 'string', describe: 'Zip file to write (default ./recon_bridge-<version>.zip or ./recon_maya-<version>.zip)' })
      .option('blender', {
        type: 'string',
        describe: 'blender: also install and enable it in this Blender (path of the blender executable), in its user preferences',
      })
      .option('modules-dir', {
        type: 'string',
        describe: 'maya: install the module into this Maya modules folder (e.g. ~/maya/modules) instead of only writing a zip',
      })
      .example('$0 install-addon blender', 'writes ./recon_bridge-0.1.0.zip; install it in Blender: Edit ▸ Preferences ▸ Add-ons ▸ Install…')
      .example('$0 install-addon blender --blender /usr/bin/blender', 'builds the zip and installs + enables it in that Blender')
      .example('$0 install-addon maya --modules-dir ~/maya/modules', 'installs the Maya module (recon_maya.mod + recon_maya/); restart Maya') as never,
  handler: async (args) => {
    if (args.app === 'maya') await maya(args);
    else await blender(args);
  },
};
