// The face mesh as exported: mesh space of architecture note §4 (metres, right-handed, +X to the image right,
// +Y up, +Z towards the camera, IPD 0.063 m; align.ts) in one of the two views (views.ts): the head frame by
// default ('front': the head turned to face the camera, origin between the eyes, so the front view's maps lie
// exactly under it), or the camera view ('camera': as the photo saw it, origin between the pupils, under
// crop.png). Plus what the exporters need beside it: each vertex's photo position and seen weight (for the
// texture), its position in photo pixels in 3-D (the texture's size), and the eye centres.
import { EYE_LINE_Y, eyeCentres } from '../align.js';
import { applyAffine, invertAffine } from '../geometry.js';
import { DEFAULT_SUBDIVISIONS, isSubdivisions, type Subdivisions } from '../mesh/build.js';
import { invalidOption } from '../errors.js';
import type { Vec2, Vec3 } from '../types.js';
import { VIEWS, viewMeshes, type FaceViews, type View, type ViewMeshes } from '../views.js';

/** A triangle mesh in mesh space. Plain arrays, ready for any writer. */
export interface MeshData {
  /** n × [x, y, z] metres. */
  positions: Float32Array;
  /** n × unit [x, y, z], pointing out of the face. */
  normals: Float32Array;
  /** n × [u, v] in [0, 1], v up (OBJ convention; glTF flips at write). */
  uvs: Float32Array;
  /** Vertex-index triples, counter-clockwise seen from the front (+Z). */
  triangles: Uint32Array;
}

export interface ExportMesh extends MeshData {
  view: View;
  subdivisions: Subdivisions;
  /** The first `baseVertexCount` vertices are the 468 FaceMesh vertices, in FaceMesh order. */
  baseVertexCount: number;
  /** Each vertex's position in the photo (image pixels), for projecting the texture. */
  imagePoints: Vec2[];
  /** Each vertex's seen and prefer weights 0–1 (visibility.ts). */
  seen: Float32Array;
  prefer: Float32Array;
  /** Each vertex in photo pixels in 3-D (front-view geometry at the photo's scale), 3 per vertex: sizes the texture. */
  points3d: Float32Array;
  /**
   * Eye centres in mesh space, right eye first: the pupils in the camera view (iris centres with 478 points,
   * else eye-corner midpoints); in the front view the eye-corner midpoints (the pupils move with the gaze),
   * at (∓0.0315, 0, 0) by the frame's definition.
   */
  eyeCentres: [Vec3, Vec3];
}

export interface ExportMeshOptions {
  /** Loop subdivision levels of the exported surface, 0–3 (default 1, as the renderer: mesh/build.ts). */
  subdivisions?: Subdivisions;
  /** 'front' (default): the head frame; 'camera': the camera view of today's maps. */
  view?: View;
}

export const EXPORT_MESH_DEFAULTS = { subdivisions: DEFAULT_SUBDIVISIONS, view: 'front' } as const;

export function validateExportMeshOptions(o: ExportMeshOptions): { subdivisions: Subdivisions; view: View } {
  const subdivisions = o.subdivisions ?? EXPORT_MESH_DEFAULTS.subdivisions;
  if (!isSubdivisions(subdivisions)) throw invalidOption('subdivisions', 'an integer 0–3', subdivisions);
  const view = o.view ?? EXPORT_MESH_DEFAULTS.view;
  if (!(VIEWS as ReadonlyArray<string>).includes(view)) throw invalidOption('view', `one of ${VIEWS.join(', ')}`, view);
  return { subdivisions, view };
}

/**
 * The exported mesh for one face (views.ts faceViews). `meshes` (viewMeshes at the same subdivision level) is
 * reused when given; otherwise built here, with `imageSize` telling which points lie inside the photo.
 * Vertex counts: 468 / 1 833 / 7 257 / 28 881 and triangles 898 / 3 592 / 14 368 / 57 472 for 0–3 subdivisions.
 */
export function exportMesh(views: FaceViews, imageSize: { width: number; height: number }, options: ExportMeshOptions & { meshes?: ViewMeshes } = {}): ExportMesh {
  const { subdivisions, view } = validateExportMeshOptions(options);
  const meshes = options.meshes?.subdivisions === subdivisions ? options.meshes : viewMeshes(views, imageSize, { subdivisions });
  const built = view === 'front' ? meshes.front : meshes.camera;
  const n = built.positions.length / 3;
  // Crop frame → mesh frame: flip y and z, scale to metres, origin at (0.5·S, 0.4·S, 0) (align.ts cropToMesh);
  // unit normals only flip y and z.
  const k = views.alignment.metresPerPixel;
  const ox = 0.5 * views.size;
  const oy = EYE_LINE_Y * views.size;
  const positions = new Float32Array(n * 3);
  const normals = new Float32Array(n * 3);
  const P = built.positions;
  const N = built.normals;
  for (let i = 0; i < n; i++) {
    const j = 3 * i;
    positions[j] = (P[j] - ox) * k;
    positions[j + 1] = (oy - P[j + 1]) * k;
    positions[j + 2] = -P[j + 2] * k;
    normals[j] = N[j];
    normals[j + 1] = -N[j + 1];
    normals[j + 2] = -N[j + 2];
  }
  // The photo position of each vertex: its camera-view crop position mapped back through the alignment.
  const toImage = invertAffine(views.alignment.matrix);
  const C = meshes.camera.positions;
  const imagePoints: Vec2[] = new Array(n);
  for (let i = 0; i < n; i++) imagePoints[i] = applyAffine(toImage, C[3 * i], C[3 * i + 1]);
  const F = meshes.front.positions;
  const points3d = new Float32Array(n * 3);
  const toPhoto = 1 / views.frame.scale;
  for (let j = 0; j < 3 * n; j++) points3d[j] = F[j] * toPhoto;
  const toMesh = (p: Vec3): Vec3 => [(p[0] - ox) * k, (oy - p[1]) * k, -p[2] * k];
  const eyes: [Vec3, Vec3] =
    view === 'front'
      ? [toMesh(mid(views.frame.points[33], views.frame.points[133])), toMesh(mid(views.frame.points[362], views.frame.points[263]))]
      : (eyeCentres(views.camera).map(toMesh) as [Vec3, Vec3]);
  return {
    view,
    subdivisions,
    positions,
    normals,
    uvs: built.uvs,
    triangles: built.triangles,
    baseVertexCount: built.baseVertexCount,
    imagePoints,
    seen: meshes.seen,
    prefer: meshes.prefer,
    points3d,
    eyeCentres: eyes,
  };
}

function mid(a: Vec3, b: Vec3): Vec3 {
  return [(a[0] + b[0]) / 2, (a[1] + b[1]) / 2, (a[2] + b[2]) / 2];
}
