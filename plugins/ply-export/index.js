// @ts-check
// Built-in plugin (an ES module, written against the public plugin API only): the "ply" exporter.
//   points.ply  the reconstructed face's 478 points from result.json (468 FaceMesh + 10 iris), in image
//               pixels turned to a right-handed, Y-up frame: (x, -y, -z), so +Z points at the camera.
//   face.ply    the mesh from face.obj (metres, +Y up, +Z towards the camera), with normals and texture
//               coordinates when face.obj has them per vertex; only when the job wrote face.obj.
import fs from 'node:fs/promises';
import path from 'node:path';
import * as recon from 'recon-daemon';

/** @param {string[]} header @param {string[]} body */
const ply = (header, body) => ['ply', 'format ascii 1.0', ...header, 'end_header', ...body, ''].join('\n');
/** @param {number} v */
const f6 = (v) => (Math.round(v * 1e6) / 1e6).toString();

/** @param {string} resultFile */
async function pointsPly(resultFile) {
  const result = JSON.parse(await fs.readFile(resultFile, 'utf8'));
  const index = result.reconstructedFace ?? result.reconstructed?.[0];
  /** @type {number[][] | undefined} */
  const points = index === undefined ? undefined : result.faces?.[index]?.points;
  if (!points?.length) return undefined;
  return ply(
    [
      `comment recon-daemon ${recon.version} ply exporter: face ${index} of ${result.source}`,
      'comment units: image pixels; frame: x right, y up, z towards the camera (image y and z negated)',
      `element vertex ${points.length}`,
      'property float x',
      'property float y',
      'property float z',
    ],
    points.map(([x, y, z]) => `${f6(x)} ${f6(-y)} ${f6(-z)}`),
  );
}

/** @param {string} objFile */
async function meshPly(objFile) {
  const text = await fs.readFile(objFile, 'utf8');
  /** @type {string[]} */ const v = [];
  /** @type {string[]} */ const vn = [];
  /** @type {string[]} */ const vt = [];
  /** @type {number[][]} */ const faces = [];
  let sameIndices = true;
  for (const line of text.split('\n')) {
    const [tag, ...rest] = line.trim().split(/\s+/);
    if (tag === 'v') v.push(rest.slice(0, 3).join(' '));
    else if (tag === 'vn') vn.push(rest.slice(0, 3).join(' '));
    else if (tag === 'vt') vt.push(rest.slice(0, 2).join(' '));
    else if (tag === 'f') {
      faces.push(
        rest.map((corner) => {
          const [a, b, c] = corner.split('/').map(Number);
          if ((b && b !== a) || (c && c !== a)) sameIndices = false;
          return (a < 0 ? v.length + a + 1 : a) - 1;
        }),
      );
    }
  }
  if (!v.length) return undefined;
  const normals = sameIndices && vn.length === v.length;
  const uvs = sameIndices && vt.length === v.length;
  const header = [
    `comment recon-daemon ${recon.version} ply exporter: mesh from ${path.basename(objFile)}`,
    'comment units: metres; frame: +X image right, +Y up, +Z towards the camera',
    `element vertex ${v.length}`,
    'property float x',
    'property float y',
    'property float z',
    ...(normals ? ['property float nx', 'property float ny', 'property float nz'] : []),
    ...(uvs ? ['property float s', 'property float t'] : []),
    `element face ${faces.length}`,
    'property list uchar int vertex_indices',
  ];
  const body = v.map((p, i) => [p, normals ? vn[i] : '', uvs ? vt[i] : ''].filter(Boolean).join(' '));
  for (const f of faces) body.push(`${f.length} ${f.join(' ')}`);
  return ply(header, body);
}

/** @type {import('recon-daemon').Exporter} */
async function exportPly(result, outDir) {
  /** @type {string[]} */
  const written = [];
  const write = async (/** @type {string} */ name, /** @type {string | undefined} */ data) => {
    if (data === undefined) return;
    const file = path.join(outDir, name);
    // 'wx': a new file only; a link planted under the name is never written through.
    await fs.writeFile(file, data, { flag: 'wx' }).catch((/** @type {NodeJS.ErrnoException} */ e) => {
      if (e.code === 'EEXIST') throw new Error(`ply: ${name} already exists in the job folder; it is not overwritten`);
      throw e;
    });
    written.push(file);
  };
  if (result.files.result) await write('points.ply', await pointsPly(result.files.result));
  if (result.files.obj) await write('face.ply', await meshPly(result.files.obj));
  if (!written.length) {
    throw new Error('Nothing to export: result.json has no face points and there is no face.obj (was the face reconstructed?)');
  }
  return written;
}

/** @param {import('recon-daemon').PluginContext} context */
export function activate(context) {
  context.subscriptions.push(recon.exporters.register('ply', exportPly));
}
