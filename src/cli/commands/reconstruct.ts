import type { CommandModule } from 'yargs';

export interface ReconstructArgs {
  image: string[];
  output: string;
  face: string;
  json: boolean;
  maxPixels?: number;
}

export const reconstructCommand: CommandModule<object, ReconstructArgs> = {
  command: 'reconstruct <image...>',
  describe: 'Reconstruct faces in photos, embedded (no daemon): one folder per photo with result.json and overlay.png',
  builder: (y) =>
    y
      .positional('image', { type: 'string', array: true, demandOption: true, describe: 'Photo files (JPEG, PNG, WebP, TIFF, AVIF/HEIF, GIF)' })
      .option('output', { alias: 'o', type: 'string', default: 'recon-out', describe: 'Output folder; each photo gets <output>/<photo stem>/' })
      .option('face', { type: 'string', default: 'largest', describe: 'Which face gets dense points: largest, all, or an index (0 = largest)' })
      .option('json', { type: 'boolean', default: false, describe: 'Print each result as one JSON line on stdout instead of a summary' })
      .option('max-pixels', { type: 'number', describe: 'Decoded-pixel limit (default 50000000)' })
      .example('$0 reconstruct examples/astronaut.png -o out', 'writes out/astronaut/result.json and overlay.png') as never,
  handler: async (args) => {
    const { runReconstruct } = await import('../reconstruct-run.js');
    process.exitCode = await runReconstruct(args);
  },
};
