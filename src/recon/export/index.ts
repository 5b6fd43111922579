// Mesh export for one face: the metric mesh, the projected-photo texture, face.obj + face.mtl + texture.png
// and face.glb, as bytes. Pure apart from PNG encoding (outputs/png.ts); the caller writes the files.
import { canonicalAlignment, type Alignment } from '../align.js';
import type { RgbImage, Vec3 } from '../types.js';
import { writeGlb, type GlbMeta } from './glb.js';
import { exportMesh, type ExportMesh, type ExportMeshOptions } from './mesh.js';
import { writeObjBytes } from './obj.js';
import { encodePng, projectTexture, type PngOptions, type TextureOptions } from './texture.js';

export { writeGlb, GLB_MATERIAL, MESH_FRAME_EXTRAS, type GlbMeta } from './glb.js';
export { exportMesh, EXPORT_MESH_DEFAULTS, type ExportMesh, type ExportMeshOptions, type MeshData } from './mesh.js';
export { writeObj, writeObjBytes, OBJ_DEFAULT_NAMES, type ObjNames } from './obj.js';
export { projectTexture, autoTextureSize, encodePng, TEXTURE_DEFAULTS, PNG_DEFAULTS, type TextureOptions, type PngOptions } from './texture.js';

export interface FaceExportOptions extends ExportMeshOptions {
  /** The canonical alignment of these points; computed with the default crop size when absent. */
  alignment?: Alignment;
  texture?: TextureOptions;
  png?: PngOptions;
  /** Stored in the GLB's extras and the OBJ header. */
  meta?: GlbMeta;
}

export interface FaceExport {
  mesh: ExportMesh;
  /** File name → bytes: face.obj, face.mtl, texture.png, face.glb. */
  files: Record<'face.obj' | 'face.mtl' | 'texture.png' | 'face.glb', Uint8Array>;
  /** Milliseconds per step (`obj`: OBJ + MTL bytes; `png`: the wait for the texture's PNG after them). */
  timings: { mesh: number; texture: number; png: number; obj: number; glb: number };
}

export async function exportFace(image: RgbImage, points: ReadonlyArray<Vec3>, options: FaceExportOptions = {}): Promise<FaceExport> {
  const t0 = performance.now();
  const alignment = options.alignment ?? canonicalAlignment(points);
  const mesh = exportMesh(points, alignment, options);
  const t1 = performance.now();
  const texture = projectTexture(image, mesh.imagePoints, mesh.uvs, mesh.triangles, options.texture);
  const t2 = performance.now();
  // The texture PNG encodes on libuv's thread pool while the OBJ bytes are built here.
  const pngPending = encodePng(texture, options.png);
  pngPending.catch(() => undefined);
  const source = options.meta?.source;
  const { obj, mtl } = writeObjBytes(mesh, {
    comments: [
      `Pupils (mesh space): right ${fmt(mesh.eyeCentres[0])}, left ${fmt(mesh.eyeCentres[1])}.`,
      ...(options.meta?.version ? [`Generator: recon-daemon ${options.meta.version}.`] : []),
      ...(source ? [`Source: ${JSON.stringify(source)}`] : []),
    ],
  });
  const t3 = performance.now();
  const png = await pngPending;
  const t4 = performance.now();
  const glb = await writeGlb(mesh, png, {
    ...options.meta,
    extras: { eyeCentres: mesh.eyeCentres.map((p) => p.map(round6)), ...options.meta?.extras },
  });
  const t5 = performance.now();
  return {
    mesh,
    files: { 'face.obj': obj, 'face.mtl': mtl, 'texture.png': png, 'face.glb': glb },
    timings: { mesh: t1 - t0, texture: t2 - t1, obj: t3 - t2, png: t4 - t3, glb: t5 - t4 },
  };
}

function round6(v: number): number {
  return Math.round(v * 1e6) / 1e6;
}

function fmt(p: Vec3): string {
  return `(${p.map((v) => v.toFixed(6)).join(', ')})`;
}
