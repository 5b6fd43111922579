// Binary glTF 2.0 (GLB) for the face mesh, written with @gltf-transform/core: one scene, one node `face`,
// one mesh with POSITION / NORMAL / TEXCOORD_0 and indices, one PBR material whose base colour is the
// projected-photo PNG, embedded. Mesh space is glTF's own (metres, +Y up, +Z towards the viewer), so
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
}

export const GLB_MATERIAL = { metallic: 0, roughness: 0.8 } as const;

/** The frame description every export carries in its extras (Blender shows node extras as custom properties). */
export const MESH_FRAME_EXTRAS = {
  units: 'metres',
  frame: 'right-handed, +X image right (subject\'s left), +Y up, +Z towards the camera; origin between the pupils',
  interPupillaryDistance: 0.063,
} as const;

export async function writeGlb(mesh: MeshData, texturePng: Uint8Array, meta: GlbMeta = {}): Promise<Uint8Array> {
  const vertexCount = mesh.positions.length / 3;
  const doc = new Document();
  const extras = { ...MESH_FRAME_EXTRAS, ...(meta.source ? { source: meta.source } : {}), ...meta.extras };
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
  const accessor = (type: 'VEC2' | 'VEC3' | 'SCALAR', array: Float32Array | Uint16Array | Uint32Array) =>
    doc.createAccessor().setType(type).setArray(array).setBuffer(buffer);

  const texture = doc.createTexture('texture').setImage(texturePng).setMimeType('image/png');
  const material = doc
    .createMaterial('face')
    .setBaseColorFactor([1, 1, 1, 1])
    .setBaseColorTexture(texture)
    .setMetallicFactor(GLB_MATERIAL.metallic)
    .setRoughnessFactor(GLB_MATERIAL.roughness)
    .setDoubleSided(false);
  material
    .getBaseColorTextureInfo()!
    .setWrapS(TextureInfo.WrapMode.CLAMP_TO_EDGE)
    .setWrapT(TextureInfo.WrapMode.CLAMP_TO_EDGE)
    .setMagFilter(TextureInfo.MagFilter.LINEAR)
    .setMinFilter(TextureInfo.MinFilter.LINEAR_MIPMAP_LINEAR);

  const primitive = doc
    .createPrimitive()
    .setAttribute('POSITION', accessor('VEC3', mesh.positions))
    .setAttribute('NORMAL', accessor('VEC3', mesh.normals))
    .setAttribute('TEXCOORD_0', accessor('VEC2', uvs))
    .setIndices(accessor('SCALAR', indices))
    .setMaterial(material);
  const node = doc.createNode('face').setMesh(doc.createMesh('face').addPrimitive(primitive)).setExtras(extras);
  root.setDefaultScene(doc.createScene('face').addChild(node));
  return new NodeIO().writeBinary(doc);
}
