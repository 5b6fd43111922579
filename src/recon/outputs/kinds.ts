// The output kinds and their file names: plain data, importable by the protocol and clients without
// loading the engine.

/** Output kinds a caller can pick (`outputs` option, `--outputs`); result.json is always written. */
export const OUTPUT_KINDS = ['crop', 'structure', 'depth', 'normal', 'mask', 'obj', 'glb', 'overlay'] as const;
export type OutputKind = (typeof OUTPUT_KINDS)[number];

/** File names in each photo's folder, per kind (`obj` is face.obj + face.mtl + texture.png). */
export const OUTPUT_FILES: Record<OutputKind | 'mtl' | 'texture' | 'result', string> = {
  crop: 'crop.png',
  structure: 'structure.png',
  depth: 'depth.png',
  normal: 'normal.png',
  mask: 'mask.png',
  obj: 'face.obj',
  mtl: 'face.mtl',
  texture: 'texture.png',
  glb: 'face.glb',
  overlay: 'overlay.png',
  result: 'result.json',
};

