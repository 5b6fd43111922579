import type { CommandModule } from 'yargs';

interface Args {
  cacheDir?: string;
}

export const modelsCommand: CommandModule<object, Args> = {
  command: 'models',
  describe: 'Convert the bundled TFJS models to ONNX now (otherwise done on first use) and print where they are',
  builder: (y) => y.option('cache-dir', { type: 'string', describe: 'Model cache folder (default: $XDG_CACHE_HOME/recon-daemon/models)' }) as never,
  handler: async (args) => {
    const { ensureModel, MODEL_NAMES, modelCacheDir } = await import('../../recon/models/store.js');
    const dir = args.cacheDir ?? modelCacheDir();
    for (const name of MODEL_NAMES) {
      const t = performance.now();
      const f = ensureModel(name, dir);
      const ms = (performance.now() - t).toFixed(0);
      process.stdout.write(`${name.padEnd(9)} ${f.built ? `converted in ${ms} ms` : 'cached'}  ${f.path}\n`);
    }
  },
};
