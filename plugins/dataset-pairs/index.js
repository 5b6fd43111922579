// @ts-check
// Built-in plugin (CommonJS, written against the public plugin API only): the "dataset-pairs" exporter.
// In the job folder it writes
//   images/<name>.png      the aligned photo crop (crop.png)
//   structure/<name>.png   its structure map (structure.png), pixel-aligned with the crop
//   manifest.jsonl         one line: {"image", "structure", "source", "jobId", "verdict", "pose"}
// where <name> is the photo's file name without extension (the job id for uploads), so pairs from many job
// folders can be gathered into one dataset without clashes.
const fs = require('node:fs/promises');
const { constants: fsConstants } = require('node:fs');
const path = require('node:path');
const recon = require('recon-daemon');

/** @param {import('recon-daemon').ReconstructionResult} result */
function pairName(result) {
  const stem = result.source === 'upload' ? '' : path.parse(result.source).name;
  const safe = stem.replace(/[^A-Za-z0-9._-]+/g, '_').replace(/^[._]+/, '');
  return safe || result.jobId || 'photo';
}

/**
 * A folder inside outDir, made if missing; a link planted in its place is refused, never followed.
 * @param {string} outDir
 * @param {string} name
 */
async function ownDir(outDir, name) {
  const dir = path.join(outDir, name);
  await fs.mkdir(dir).catch((/** @type {NodeJS.ErrnoException} */ e) => {
    if (e.code !== 'EEXIST') throw e;
  });
  const st = await fs.lstat(dir);
  if (!st.isDirectory()) throw new Error(`dataset-pairs: ${name} in the job folder is not a folder (a link or file is in its place); nothing was written`);
  return dir;
}

/**
 * Create a new file: an existing file or a link at that name is never written through.
 * @param {string} file
 * @param {(file: string) => Promise<void>} write
 */
async function createNew(file, write) {
  try {
    await write(file);
  } catch (e) {
    if (/** @type {NodeJS.ErrnoException} */ (e).code === 'EEXIST') throw new Error(`dataset-pairs: ${path.basename(file)} already exists in the job folder; it is not overwritten`);
    throw e;
  }
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
  await ownDir(outDir, 'images');
  await ownDir(outDir, 'structure');
  // COPYFILE_EXCL and 'wx' create new files only (O_EXCL): a link planted under the name fails the copy.
  await createNew(path.join(outDir, image), (f) => fs.copyFile(crop, f, fsConstants.COPYFILE_EXCL));
  await createNew(path.join(outDir, map), (f) => fs.copyFile(structure, f, fsConstants.COPYFILE_EXCL));
  const line = {
    image,
    structure: map,
    source: result.source,
    ...(result.jobId ? { jobId: result.jobId } : {}),
    ...(result.verdict ? { verdict: result.verdict } : {}),
    pose: result.pose,
  };
  await createNew(path.join(outDir, 'manifest.jsonl'), (f) => fs.writeFile(f, JSON.stringify(line) + '\n', { flag: 'wx' }));
  return [image, map, 'manifest.jsonl'];
}

/** @param {import('recon-daemon').PluginContext} context */
function activate(context) {
  context.subscriptions.push(recon.exporters.register('dataset-pairs', exportPair));
}

module.exports = { activate };
