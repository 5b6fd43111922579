// Mesh export for one face: the metric mesh in the chosen view, the completed texture, its visibility mask and
// detail normal map, face.obj + face.mtl + the PNGs, and face.glb, as bytes. Pure apart from PNG encoding
// (outputs/png.ts); the caller writes the files.
import type { RgbImage, Vec3 } from '../types.js';
import type { FaceViews, ViewMeshes } from '../views.js';
import { writeGlb, type GlbMeta } from './glb.js';
import { exportMesh, type ExportMesh, type ExportMeshOptions } from './mesh.js';
import { writeObjBytes } from './obj.js';
import { completeTexture, type CompletedTexture, type CompletedTextureOptions } from './texture-complete.js';
import { encodePng, encodeGreyPng, type PngOptions } from './texture.js';

export { writeGlb, GLB_MATERIAL, MESH_FRAME_EXTRAS, type GlbMeta } from './glb.js';
export { exportMesh, EXPORT_MESH_DEFAULTS, validateExportMeshOptions, type ExportMesh, type ExportMeshOptions, type MeshData } from './mesh.js';
export { writeObj, writeObjBytes, OBJ_DEFAULT_NAMES, type ObjNames } from './obj.js';
export { projectTexture, autoTextureSize, encodePng, TEXTURE_DEFAULTS, PNG_DEFAULTS, type TextureOptions, type PngOptions } from './texture.js';
export { completeTexture, textureSideFor, detailNormalMap, COMPLETED_TEXTURE, type CompletedTexture, type CompletedTextureOptions } from './texture-complete.js';

export interface FaceExportOptions extends ExportMeshOptions {
  texture?: CompletedTextureOptions;
  png?: PngOptions;
  /** Stored in the GLB's extras and the OBJ header. */
  meta?: GlbMeta;
  /** The views' meshes already built (views.ts viewMeshes), reused at the same subdivision level. */
  meshes?: ViewMeshes;
}

export type FaceExportFile = 'face.obj' | 'face.mtl' | 'texture.png' | 'texture-normal.png' | 'texture-visibility.png' | 'face.glb';

export interface FaceExport {
  mesh: ExportMesh;
  /** The texture's size and how its area was filled (texture-complete.ts). */
  texture: { size: number; shares: CompletedTexture['shares'] };
  /** The completed texture's pixels. */
  textureImage: RgbImage;
  /** File name → bytes. */
  files: Record<FaceExportFile, Uint8Array>;
  /** Milliseconds per step (`obj`: OBJ + MTL bytes; `png`: the wait for the PNGs after them). */
  timings: { mesh: number; texture: number; png: number; obj: number; glb: number };
}

export async function exportFace(image: RgbImage, views: FaceViews, options: FaceExportOptions = {}): Promise<FaceExport> {
  const t0 = performance.now();
  const mesh = exportMesh(views, image, options);
  const t1 = performance.now();
  const tex = completeTexture(image, mesh.imagePoints, mesh.seen, mesh.prefer, mesh.points3d, mesh.uvs, mesh.triangles, options.texture);
  const t2 = performance.now();
  // The PNGs deflate on libuv's thread pool while the OBJ bytes are built here.
  const size = tex.texture.width;
  const pending = Promise.all([
    encodePng(tex.texture, options.png),
    encodePng({ data: tex.normal, width: size, height: size }, options.png),
    encodeGreyPng({ data: tex.visibility, width: size, height: size }, options.png),
  ]);
  pending.catch(() => undefined);
  const source = options.meta?.source;
  const { obj, mtl } = writeObjBytes(mesh, {
    normalMap: 'texture-normal.png',
    comments: [
      `View: ${mesh.view === 'front' ? 'front (head frame: the head turned to face the camera, origin between the eyes)' : 'camera (as the photo saw it, origin between the pupils)'}.`,
      `Eye centres (mesh space): right ${fmt(mesh.eyeCentres[0])}, left ${fmt(mesh.eyeCentres[1])}.`,
      `Head pose in the photo (degrees): yaw ${views.frame.pose.yaw}, pitch ${views.frame.pose.pitch}, roll ${views.frame.pose.roll}.`,
      ...(options.meta?.version ? [`Generator: recon-daemon ${options.meta.version}.`] : []),
      ...(source ? [`Source: ${JSON.stringify(source)}`] : []),
    ],
  });
  const t3 = performance.now();
  const [png, normalPng, visibilityPng] = await pending;
  const t4 = performance.now();
  const glb = await writeGlb(mesh, png, {
    ...options.meta,
    normalTexture: normalPng,
    extras: {
      view: mesh.view,
      eyeCentres: mesh.eyeCentres.map((p) => p.map(round6)),
      pose: views.frame.pose,
      cameraToHead: views.cameraToHead.map(round6),
      ...options.meta?.extras,
    },
  });
  const t5 = performance.now();
  return {
    mesh,
    texture: { size, shares: tex.shares },
    textureImage: tex.texture,
    files: { 'face.obj': obj, 'face.mtl': mtl, 'texture.png': png, 'texture-normal.png': normalPng, 'texture-visibility.png': visibilityPng, 'face.glb': glb },
    timings: { mesh: t1 - t0, texture: t2 - t1, obj: t3 - t2, png: t4 - t3, glb: t5 - t4 },
  };
}

function round6(v: number): number {
  return Math.round(v * 1e6) / 1e6;
}

function fmt(p: Vec3): string {
  return `(${p.map((v) => v.toFixed(6)).join(', ')})`;
}
