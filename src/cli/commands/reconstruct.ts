import type { CommandModule } from 'yargs';

export interface ReconstructArgs {
  image: string[];
  output: string;
  face: string;
  json: boolean;
  maxPixels?: number;
  outputs?: string;
  size?: number;
  detail?: number;
  view?: string;
  subdivisions?: number;
  force: boolean;
  quality?: string[];
  daemon?: boolean;
  embedded?: boolean;
  export?: string[];
  pluginDir?: string[];
}

export const reconstructCommand: CommandModule<object, ReconstructArgs> = {
  command: 'reconstruct <image...>',
  describe: 'Reconstruct faces in photos (through the running daemon if there is one, else embedded): one folder per photo with the structure map, crop, depth/normal/mask maps, mesh (OBJ, GLB), overlay and result.json',
  builder: (y) =>
    y
      .positional('image', { type: 'string', array: true, demandOption: true, describe: 'Photo files (JPEG, PNG, WebP, TIFF, AVIF/HEIF, GIF)' })
      .option('output', { alias: 'o', type: 'string', default: 'recon-out', describe: 'Output folder; each photo gets <output>/<photo stem>/' })
      .option('face', { type: 'string', default: 'largest', describe: 'Which face gets dense points: largest, all, or an index (0 = largest)' })
      .option('json', { type: 'boolean', default: false, describe: 'Print each result as one JSON line on stdout instead of a summary' })
      .option('max-pixels', { type: 'number', describe: 'Decoded-pixel limit (default 50000000)' })
      .option('outputs', { type: 'string', describe: 'Comma-separated subset of: crop, structure, depth, normal, mask, front-structure, front-depth, front-normal, front-mask, obj, glb, overlay, turntable (default all but turntable; result.json always)' })
      .option('size', { type: 'number', describe: 'Side of the square images in pixels, 128–1024 (default 256)' })
      .option('detail', { type: 'number', describe: "Share of the photo's fine detail in the structure maps, 0–1 (default 0.5)" })
      .option('view', { type: 'string', choices: ['front', 'camera'], describe: 'Frame of face.obj/face.glb: front (the head turned to face the camera, under the front-* maps; default) or camera (as the photo saw it, under crop.png)' })
      .option('subdivisions', { type: 'number', describe: 'Loop subdivision levels of the exported mesh, 0–3 (default 1: 1 833 vertices; 3: 28 881)' })
      .option('force', { type: 'boolean', default: false, describe: 'Write images and mesh even when the quality verdict is fail' })
      .option('daemon', { type: 'boolean', describe: 'Require the running daemon (default: use it when it runs, else the embedded engine)' })
      .option('embedded', { type: 'boolean', describe: 'Use the embedded engine even when the daemon runs' })
      .conflicts('daemon', 'embedded')
      .option('quality', { type: 'string', array: true, describe: 'Override a quality threshold, e.g. --quality yawFail=50 (docs/quality.md)' })
      .option('export', { type: 'string', array: true, describe: 'Also run this plugin exporter on each photo folder, e.g. --export ply --export dataset-pairs (docs/plugins.md)' })
      .option('plugin-dir', { type: 'string', array: true, describe: 'Also look for plugins (exporters) in this folder; repeatable' })
      .example('$0 reconstruct examples/astronaut.png -o out', 'writes out/astronaut/ with structure.png, face.glb, result.json, …')
      .example('$0 reconstruct a.jpg b.png --outputs structure,crop --size 512', 'only the structure map and crop, at 512×512')
      .example('$0 reconstruct a.jpg --outputs front-structure,glb,turntable --subdivisions 2', 'the front reference, a denser head mesh and a turntable preview')
      .example('$0 reconstruct a.jpg --export ply --export dataset-pairs', 'plus points.ply/face.ply and images/, structure/, manifest.jsonl') as never,
  handler: async (args) => {
    const { runReconstruct } = await import('../reconstruct-run.js');
    process.exitCode = await runReconstruct(args);
  },
};
