// Binary glTF 2.0 (GLB) for the face mesh, written with @gltf-transform/core: one scene, one node `face`,
// one mesh with POSITION / NORMAL / TEXCOORD_0 and indices, one PBR material whose base colour is the
// completed photo texture and whose normalTexture is the detail normal map, both PNGs embedded. Mesh space is glTF's own (metres, +Y up, +Z towards the viewer), so
// positions go in unchanged; only V flips, because glTF puts the UV origin at the image's top-left.
import { Document, NodeIO, TextureInfo } from '@gltf-transform/core';
import type { MeshData } from './mesh.js';

export interface GlbMeta {
  /** Appended to the generator string: `recon-daemon <version>`. */
  version?: string;
  /** Where the mesh came from (photo name and size, face index, pose…); JSON-safe, stored as extras.source. */
  source?: Record<string, unknown>;
  /** More JSON-safe properties, merged into the extras. */
  extras?: Record<string, unknown>;
  /** PNG of the tangent-space detail normal map (material.normalTexture), if any. */
  normalTexture?: Uint8Array;
}

export const GLB_MATERIAL = { metallic: 0, roughness: 0.8 } as const;

/** The frame description every export carries in its extras (Blender shows node extras as custom properties). */
export const MESH_FRAME_EXTRAS = {
  units: 'metres',
  frame: 'right-handed, +X image right (subject\'s left), +Y up, +Z towards the camera; origin between the eyes (view: front = head frame, camera = as the photo saw it)',
  interPupillaryDistance: 0.063,
} as const;

export async function writeGlb(mesh: MeshData, texturePng: Uint8Array, meta: GlbMeta = {}): Promise<Uint8Array> {
  const vertexCount = mesh.positions.length / 3;
  const doc = new Document();
  const extras = { ...MESH_FRAME_EXTRAS, ...(meta.source ? { source: meta.source } : {}), ...meta.extras };
  const sampled = (info: TextureInfo): void => {
    info
      .setWrapS(TextureInfo.WrapMode.CLAMP_TO_EDGE)
      .setWrapT(TextureInfo.WrapMode.CLAMP_TO_EDGE)
      .setMagFilter(TextureInfo.MagFilter.LINEAR)
      .setMinFilter(TextureInfo.MinFilter.LINEAR_MIPMAP_LINEAR);
  };
  const root = doc.getRoot();
  const asset = root.getAsset();
  asset.generator = meta.version ? `recon-daemon ${meta.version}` : 'recon-daemon';
  asset.extras = extras;

  const buffer = doc.createBuffer();
  const uvs = new Float32Array(mesh.uvs.length);
  for (let i = 0; i < uvs.length; i += 2) {
    uvs[i] = mesh.uvs[i];
    uvs[i + 1] = 1 - mesh.uvs[i + 1];
  }
  // Index value 65535 is the primitive-restart value of uint16, which glTF forbids as an index.
  const indices = vertexCount <= 65535 ? Uint16Array.from(mesh.triangles) : Uint32Array.from(mesh.triangles);
  const accessor = (type: 'VEC2' | 'VEC3' | 'VEC4' | 'SCALAR', array: Float32Array | Uint16Array | Uint32Array) =>
    doc.createAccessor().setType(type).setArray(array).setBuffer(buffer);

  const texture = doc.createTexture('texture').setImage(texturePng).setMimeType('image/png');
  const material = doc
    .createMaterial('face')
    .setBaseColorFactor([1, 1, 1, 1])
    .setBaseColorTexture(texture)
    .setMetallicFactor(GLB_MATERIAL.metallic)
    .setRoughnessFactor(GLB_MATERIAL.roughness)
    .setDoubleSided(false);
  sampled(material.getBaseColorTextureInfo()!);
  if (meta.normalTexture) {
    // Tangent space from the UVs (glTF: clients compute MikkTSpace tangents when TANGENT is absent).
    material.setNormalTexture(doc.createTexture('normal').setImage(meta.normalTexture).setMimeType('image/png')).setNormalScale(1);
    sampled(material.getNormalTextureInfo()!);
  }

  const primitive = doc
    .createPrimitive()
    .setAttribute('POSITION', accessor('VEC3', mesh.positions))
    .setAttribute('NORMAL', accessor('VEC3', mesh.normals))
    .setAttribute('TEXCOORD_0', accessor('VEC2', uvs))
    .setIndices(accessor('SCALAR', indices))
    .setMaterial(material);
  // With a normal map, the tangent frame it was made in travels with the mesh (so viewers do not each
  // generate their own).
  if (meta.normalTexture) primitive.setAttribute('TANGENT', doc.createAccessor().setType('VEC4').setArray(vertexTangents(mesh)).setBuffer(buffer));
  const node = doc.createNode('face').setMesh(doc.createMesh('face').addPrimitive(primitive)).setExtras(extras);
  root.setDefaultScene(doc.createScene('face').addChild(node));
  return new NodeIO().writeBinary(doc);
}

/**
 * Per-vertex tangents (x, y, z, w) of the texture layout: t along +u, the bitangent along +v (v up, the image's
 * up: the normal map's green axis), both from each triangle's UV gradients (Lengyel), summed by area, t made
 * orthogonal to the normal; w = ±1 gives the bitangent as w·(n × t), as glTF defines it.
 */
export function vertexTangents(mesh: MeshData): Float32Array {
  const n = mesh.positions.length / 3;
  const P = mesh.positions;
  const N = mesh.normals;
  const UV = mesh.uvs;
  const T = mesh.triangles;
  const tan = new Float64Array(3 * n);
  const bit = new Float64Array(3 * n);
  for (let k = 0; k < T.length; k += 3) {
    const a = T[k];
    const b = T[k + 1];
    const c = T[k + 2];
    const e1 = [P[3 * b] - P[3 * a], P[3 * b + 1] - P[3 * a + 1], P[3 * b + 2] - P[3 * a + 2]];
    const e2 = [P[3 * c] - P[3 * a], P[3 * c + 1] - P[3 * a + 1], P[3 * c + 2] - P[3 * a + 2]];
    const du1 = UV[2 * b] - UV[2 * a];
    const dv1 = UV[2 * b + 1] - UV[2 * a + 1];
    const du2 = UV[2 * c] - UV[2 * a];
    const dv2 = UV[2 * c + 1] - UV[2 * a + 1];
    const det = du1 * dv2 - du2 * dv1;
    if (Math.abs(det) < 1e-20) continue;
    const r = 1 / det;
    for (let d = 0; d < 3; d++) {
      const t = (e1[d] * dv2 - e2[d] * dv1) * r;
      const s = (e2[d] * du1 - e1[d] * du2) * r;
      // Weighted by the triangle's UV area (|det|): a larger triangle says more about the layout's direction.
      const w = Math.abs(det);
      for (const v of [a, b, c]) {
        tan[3 * v + d] += w * t;
        bit[3 * v + d] += w * s;
      }
    }
  }
  const out = new Float32Array(4 * n);
  for (let i = 0; i < n; i++) {
    const nx = N[3 * i], ny = N[3 * i + 1], nz = N[3 * i + 2];
    let tx = tan[3 * i], ty = tan[3 * i + 1], tz = tan[3 * i + 2];
    const dot = tx * nx + ty * ny + tz * nz;
    tx -= dot * nx;
    ty -= dot * ny;
    tz -= dot * nz;
    let len = Math.hypot(tx, ty, tz);
    if (!(len > 1e-12)) {
      // No usable gradient: any unit vector orthogonal to the normal.
      [tx, ty, tz] = Math.abs(nx) < 0.9 ? [0, -nz, ny] : [nz, 0, -nx];
      len = Math.hypot(tx, ty, tz);
    }
    tx /= len;
    ty /= len;
    tz /= len;
    const cx = ny * tz - nz * ty, cy = nz * tx - nx * tz, cz = nx * ty - ny * tx;
    const w = cx * bit[3 * i] + cy * bit[3 * i + 1] + cz * bit[3 * i + 2] < 0 ? -1 : 1;
    out.set([tx, ty, tz, w], 4 * i);
  }
  return out;
}
