// @ts-check
// Built-in plugin (CommonJS, written against the public plugin API only): the "dataset-pairs" exporter.
// In the job folder it writes
//   images/<name>.png      the aligned photo crop (crop.png)
//   structure/<name>.png   its structure map (structure.png), pixel-aligned with the crop
//   manifest.jsonl         one line: {"image", "structure", "source", "jobId", "verdict", "pose"}
// where <name> is the photo's file name without extension (the job id for uploads), so pairs from many job
// folders can be gathered into one dataset without clashes.
const fs = require('node:fs/promises');
const path = require('node:path');
const recon = require('recon-daemon');

/** @param {import('recon-daemon').ReconstructionResult} result */
function pairName(result) {
  const stem = result.source === 'upload' ? '' : path.parse(result.source).name;
  const safe = stem.replace(/[^A-Za-z0-9._-]+/g, '_').replace(/^[._]+/, '');
  return safe || result.jobId || 'photo';
}

/** @type {import('recon-daemon').Exporter} */
async function exportPair(result, outDir) {
  const crop = result.files.crop;
  const structure = result.files.structure;
  if (!crop || !structure) {
    const why =
      result.verdict === 'fail'
        ? 'the quality verdict is "fail", so no images were written (reconstruct with force to write them anyway)'
        : 'the job did not write crop.png and structure.png (leave options.outputs unset, or include "crop" and "structure")';
    throw new Error(`dataset-pairs needs the crop and the structure map, but ${why}`);
  }
  const name = pairName(result);
  const image = `images/${name}.png`;
  const map = `structure/${name}.png`;
  await fs.mkdir(path.join(outDir, 'images'), { recursive: true });
  await fs.mkdir(path.join(outDir, 'structure'), { recursive: true });
  await fs.copyFile(crop, path.join(outDir, image));
  await fs.copyFile(structure, path.join(outDir, map));
  const line = {
    image,
    structure: map,
    source: result.source,
    ...(result.jobId ? { jobId: result.jobId } : {}),
    ...(result.verdict ? { verdict: result.verdict } : {}),
    pose: result.pose,
  };
  await fs.writeFile(path.join(outDir, 'manifest.jsonl'), JSON.stringify(line) + '\n');
  return [image, map, 'manifest.jsonl'];
}

/** @param {import('recon-daemon').PluginContext} context */
function activate(context) {
  context.subscriptions.push(recon.exporters.register('dataset-pairs', exportPair));
}

module.exports = { activate };
