// One face's two views (docs/outputs.md, "Two views"): the camera view, the crop frame of align.ts that is
// pixel-aligned with crop.png, and the front view, the head frame of head-frame.ts. Points, the surface in
// both (one mesh, same vertex order), and how well the photo saw each vertex. Pure maths.
import { canonicalAlignment, DEFAULT_SIZE, toCrop, type Alignment } from './align.js';
import { cameraToHead, headFrame, type HeadFrame, type Mat4 } from './head-frame.js';
import { buildFaceMesh, DEFAULT_SUBDIVISIONS, type FaceMesh, type Subdivisions } from './mesh/build.js';
import { MESH_VERTEX_COUNT } from './mesh/topology.js';
import { rasterize, type RasterBuffers } from './render/raster.js';
import type { Pose, Vec3 } from './types.js';
import { cameraFacing, vertexVisibility } from './visibility.js';

/** The two views: `camera` is pixel-aligned with crop.png; `front` is the head turned to face the camera. */
export { VIEWS, type View } from './outputs/kinds.js';
import type { View } from './outputs/kinds.js';

export interface FaceViews {
  size: number;
  /** The camera view's crop frame (image pixels → crop pixels). */
  alignment: Alignment;
  /** The engine's points in camera-view crop pixels (toCrop). */
  camera: Vec3[];
  /** The head frame; frame.points are the points in front-view crop pixels. */
  frame: HeadFrame;
  /** Camera-view mesh metres → head-frame mesh metres (head-frame.ts cameraToHead). */
  cameraToHead: Mat4;
}

export function faceViews(points: ReadonlyArray<Vec3>, pose: Pose, size = DEFAULT_SIZE): FaceViews {
  const alignment = canonicalAlignment(points, size);
  const frame = headFrame(points, pose, size);
  return { size, alignment, camera: toCrop(points, alignment), frame, cameraToHead: cameraToHead(points, alignment, frame) };
}

export interface ViewMeshes {
  subdivisions: Subdivisions;
  /** The surface in camera-view crop pixels. */
  camera: FaceMesh;
  /** The same surface (same vertices, completed on the hidden side) in front-view crop pixels. */
  front: FaceMesh;
  /** Per vertex, how well the photo saw it, 0–1 (visibility.ts). */
  seen: Float32Array;
  /** Per vertex, 1 to keep its own view, towards 0 to take its mirror twin's (visibility.ts). */
  prefer: Float32Array;
}

/**
 * Both meshes at one subdivision level and the vertices' seen weights. `depth`: the camera view already
 * rasterised at the views' size (the maps renderer has it); rasterised here otherwise.
 */
export function viewMeshes(
  views: FaceViews,
  imageSize: { width: number; height: number },
  opts: { subdivisions?: Subdivisions; depth?: RasterBuffers } = {},
): ViewMeshes {
  const subdivisions = opts.subdivisions ?? DEFAULT_SUBDIVISIONS;
  const camera = buildFaceMesh(views.camera, { subdivisions });
  const front = buildFaceMesh(views.frame.points, { subdivisions });
  // Without the camera view's depth at hand, a half-size one of the unsmoothed surface does: the occlusion test
  // looks a few pixels round each vertex anyway, and it costs a quarter.
  const depth = opts.depth ?? rasterize(halfSize(views.camera), Math.ceil(views.size / 2));
  const { seen, prefer } = vertexVisibility(camera, cameraFacing(front, views.frame.rotation), depth, views.alignment.matrix, imageSize, views.size);
  return { subdivisions, camera, front, seen, prefer };
}

/** The front view's detail source (outputs/maps.ts FrontPhoto.vertices): per vertex its camera-crop x, y, seen and prefer weights. */
export function frontSource(meshes: Pick<ViewMeshes, 'camera' | 'seen' | 'prefer'>): Float32Array {
  const n = meshes.seen.length;
  const P = meshes.camera.positions;
  const out = new Float32Array(4 * n);
  for (let i = 0; i < n; i++) {
    out[4 * i] = P[3 * i];
    out[4 * i + 1] = P[3 * i + 1];
    out[4 * i + 2] = meshes.seen[i];
    out[4 * i + 3] = meshes.prefer[i];
  }
  return out;
}

/** The unsmoothed surface (subdivision 0) of crop-pixel points, at half the scale (x, y and z). */
function halfSize(points: ReadonlyArray<Vec3>): FaceMesh {
  const half: Vec3[] = [];
  for (let i = 0; i < MESH_VERTEX_COUNT; i++) half.push([points[i][0] / 2, points[i][1] / 2, points[i][2] / 2]);
  return buildFaceMesh(half, { subdivisions: 0 });
}
