// The output kinds and their file names: plain data, importable by the protocol and clients without
// loading the engine.

/**
 * Output kinds a caller can pick (`outputs` option, `--outputs`); result.json is always written. The camera
 * view's maps (crop, structure, depth, normal, mask) are pixel-aligned with crop.png; the `front-` maps are the
 * front view (the head turned to face the camera, docs/outputs.md); obj and glb are the mesh (in the view of
 * the `view` option), turntable a preview animation.
 */
export const OUTPUT_KINDS = [
  'crop',
  'structure',
  'depth',
  'normal',
  'mask',
  'front-structure',
  'front-depth',
  'front-normal',
  'front-mask',
  'obj',
  'glb',
  'overlay',
  'turntable',
] as const;
export type OutputKind = (typeof OUTPUT_KINDS)[number];

/** The two views of a face (views.ts): `front`, the head turned to face the camera; `camera`, as the photo saw it. */
export const VIEWS = ['front', 'camera'] as const;
export type View = (typeof VIEWS)[number];

/** Written when no `outputs` are given: every kind but the turntable (an animation that costs ~0.5 s a face). */
export const DEFAULT_OUTPUT_KINDS: ReadonlyArray<OutputKind> = OUTPUT_KINDS.filter((k) => k !== 'turntable');

/** File names in each photo's folder, per kind (`obj` is face.obj + face.mtl + the three texture PNGs). */
export const OUTPUT_FILES: Record<OutputKind | 'mtl' | 'texture' | 'textureNormal' | 'textureVisibility' | 'result', string> = {
  crop: 'crop.png',
  structure: 'structure.png',
  depth: 'depth.png',
  normal: 'normal.png',
  mask: 'mask.png',
  'front-structure': 'front-structure.png',
  'front-depth': 'front-depth.png',
  'front-normal': 'front-normal.png',
  'front-mask': 'front-mask.png',
  obj: 'face.obj',
  mtl: 'face.mtl',
  texture: 'texture.png',
  textureNormal: 'texture-normal.png',
  textureVisibility: 'texture-visibility.png',
  glb: 'face.glb',
  overlay: 'overlay.png',
  turntable: 'turntable.webp',
  result: 'result.json',
};

/**
 * The frame of each file kind, as result.json's `frames` states it: `camera` (pixel-aligned with crop.png),
 * `front` (the head frame's front view), `mesh` (the mesh's own view, result.json `mesh.view`), `uv` (the
 * mesh's texture layout), `photo` (the photo's pixels).
 */
export const OUTPUT_FRAMES: Record<Exclude<keyof typeof OUTPUT_FILES, 'result'>, 'camera' | 'front' | 'mesh' | 'uv' | 'photo'> = {
  crop: 'camera',
  structure: 'camera',
  depth: 'camera',
  normal: 'camera',
  mask: 'camera',
  'front-structure': 'front',
  'front-depth': 'front',
  'front-normal': 'front',
  'front-mask': 'front',
  obj: 'mesh',
  mtl: 'mesh',
  glb: 'mesh',
  texture: 'uv',
  textureNormal: 'uv',
  textureVisibility: 'uv',
  overlay: 'photo',
  turntable: 'front',
};
