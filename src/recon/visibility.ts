// How well the photo saw each point of the face surface, and whether a point should rather take its mirror
// twin's view: two weights 0–1 per mesh vertex, shared by the front view's detail layer, the texture and its
// visibility mask. Pure maths over the two views' meshes (views.ts).
//
//   seen = facing · unoccluded · inside · rim
//   facing      smoothstep(FACING_FROM, FACING_TO, cos) of the angle between the surface normal and the
//               direction to the camera: 0 for a surface turned more than ~78° away, 1 once it turns less
//               than 60°: grazing surfaces hold few photo pixels, stretched more than 2×, and at the
//               silhouette often show hair or background instead of skin. Measured on the front-view mesh
//               (completed, head-frame.ts) turned back to the camera: FaceMesh flattens the hidden side of a
//               turned face, so its own normals look at the camera more than the surface did.
//   unoccluded  1 − smoothstep(τ, 2τ, z − z_front) against the camera view's depth buffer (τ = OCCLUSION·S),
//               z_front the nearest surface within MARGIN·S of the point, each pixel allowed SLOPE pixels of
//               rise per pixel of distance: FaceMesh's nose and cheek outlines sit a little inside the real
//               ones, so points just beside a nearer edge count as hidden, while a steep but continuous
//               slope hides nothing
//   inside      0 where the point falls outside the photo
//   rim         0 on the face oval, ½ one ring in, 1 beyond (subdivided like the positions): the mesh's
//               outline is FaceMesh's least certain part and often lies on hair or background
//
//   prefer = 1 − (1 − smoothstep(PREFER_FROM, PREFER_TO, cos − cos_twin)) · seen_twin
//               1: the point keeps its own view; towards 0 it takes its mirror twin's, when the twin faced
//               the camera clearly better (and was seen). A frontal face keeps its asymmetries (moles, a
//               parting); the hidden side of a turned face takes the visible side's. Then feathered over the
//               mesh (FEATHER rounds of neighbour averaging) so the seam is a soft blend.
import { invertAffine, type Affine } from './geometry.js';
import { smoothstep, type Mat3 } from './head-frame.js';
import { faceTriangles, mirrorVertices, subdivideValues, type FaceMesh, type Subdivisions } from './mesh/build.js';
import { FACE_OVAL, MESH_VERTEX_COUNT } from './mesh/topology.js';
import type { RasterBuffers } from './render/raster.js';

export const VISIBILITY = {
  FACING_FROM: 0.2,
  FACING_TO: 0.5,
  OCCLUSION: 0.015,
  MARGIN: 0.012,
  SLOPE: 1.5,
  PREFER_FROM: -0.3,
  PREFER_TO: -0.1,
  /** Rounds of neighbour averaging of `prefer` at subdivision level 0 (doubled per level: the same reach on the face). */
  FEATHER: 2,
} as const;

export interface VertexVisibility {
  /** Per vertex, how well the photo saw it, 0–1. */
  seen: Float32Array;
  /** Per vertex, 1 to keep its own view, towards 0 to take its mirror twin's. */
  prefer: Float32Array;
}

/**
 * Seen and prefer weights of each vertex. `camera`: the surface in camera-view crop pixels (buildFaceMesh over
 * toCrop points); `facing`: each vertex's cosine to the camera (cameraFacing), same vertex order; `depth`: the
 * camera view rasterised from the same surface, its pixels `depth.size / cropSize` crop pixels each (1 when
 * rasterised at the crop's size, which is the default); `toCrop` and `imageSize` tell which
 * crop pixels lie inside the photo.
 */
export function vertexVisibility(
  camera: FaceMesh,
  facing: Float32Array,
  depth: RasterBuffers,
  toCrop: Affine,
  imageSize: { width: number; height: number },
  cropSize = depth.size,
): VertexVisibility {
  const n = camera.positions.length / 3;
  const P = camera.positions;
  const { size } = depth;
  const f = size / cropSize;
  const zb = depth.depth;
  const tau = VISIBILITY.OCCLUSION * size;
  const r = Math.max(1.5, VISIBILITY.MARGIN * size);
  const rim = rimWeights(camera.subdivisions);
  const toImage = invertAffine(toCrop);
  const seen = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const cx = P[3 * i];
    const cy = P[3 * i + 1];
    let w = rim[i] * smoothstep(VISIBILITY.FACING_FROM, VISIBILITY.FACING_TO, facing[i]);
    if (w === 0) continue;
    const px = toImage[0] * cx + toImage[1] * cy + toImage[2];
    const py = toImage[3] * cx + toImage[4] * cy + toImage[5];
    if (!(px >= 0 && py >= 0 && px < imageSize.width && py < imageSize.height)) continue;
    // In the depth buffer's pixels.
    const x = cx * f;
    const y = cy * f;
    let front = Infinity;
    const i0 = Math.max(0, Math.ceil(x - 0.5 - r));
    const i1 = Math.min(size - 1, Math.floor(x - 0.5 + r));
    const j0 = Math.max(0, Math.ceil(y - 0.5 - r));
    const j1 = Math.min(size - 1, Math.floor(y - 0.5 + r));
    for (let j = j0; j <= j1; j++) {
      const dy = j + 0.5 - y;
      for (let k = i0; k <= i1; k++) {
        const z = zb[j * size + k];
        if (z === Infinity) continue;
        const dx = k + 0.5 - x;
        const v = z + VISIBILITY.SLOPE * Math.sqrt(dx * dx + dy * dy);
        if (v < front) front = v;
      }
    }
    if (front < Infinity) w *= 1 - smoothstep(tau, 2 * tau, P[3 * i + 2] * f - front);
    seen[i] = w;
  }
  const mirror = mirrorVertices(camera.subdivisions);
  let prefer = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const m = mirror[i];
    prefer[i] = 1 - (1 - smoothstep(VISIBILITY.PREFER_FROM, VISIBILITY.PREFER_TO, facing[i] - facing[m])) * seen[m];
  }
  // Feathered over the surface (FEATHER rounds of neighbour averaging), so the seam between a photo's own view
  // and the mirrored one is a soft blend in the texture and the front view, not an edge. Shares stay within
  // each side's seen weight (shares()), so the blend never reaches what neither saw.
  const { offsets, neighbours } = adjacency(camera.subdivisions, camera.triangles);
  const rounds = VISIBILITY.FEATHER * 2 ** camera.subdivisions;
  let next = new Float32Array(n);
  for (let k = 0; k < rounds; k++) {
    for (let i = 0; i < n; i++) {
      let sum = prefer[i];
      for (let j = offsets[i]; j < offsets[i + 1]; j++) sum += prefer[neighbours[j]];
      next[i] = sum / (offsets[i + 1] - offsets[i] + 1);
    }
    [prefer, next] = [next, prefer];
  }
  return { seen, prefer };
}

const adjacencies: Array<{ offsets: Uint32Array; neighbours: Uint32Array }> = [];

/** Each vertex's neighbours at a subdivision level, as compressed rows. */
function adjacency(subdivisions: Subdivisions, triangles: Uint32Array): { offsets: Uint32Array; neighbours: Uint32Array } {
  if (adjacencies[subdivisions]) return adjacencies[subdivisions];
  let n = 0;
  for (let t = 0; t < triangles.length; t++) n = Math.max(n, triangles[t] + 1);
  const sets = Array.from({ length: n }, () => new Set<number>());
  for (let t = 0; t < triangles.length; t += 3) {
    for (let e = 0; e < 3; e++) {
      sets[triangles[t + e]].add(triangles[t + ((e + 1) % 3)]);
      sets[triangles[t + e]].add(triangles[t + ((e + 2) % 3)]);
    }
  }
  const offsets = new Uint32Array(n + 1);
  for (let i = 0; i < n; i++) offsets[i + 1] = offsets[i] + sets[i].size;
  const neighbours = new Uint32Array(offsets[n]);
  for (let i = 0; i < n; i++) neighbours.set([...sets[i]], offsets[i]);
  return (adjacencies[subdivisions] = { offsets, neighbours });
}

/**
 * Each vertex's cosine to the camera, from the front-view mesh's normals (front crop frame) and the head frame's
 * rotation (image → head axes): the camera looks along image +z, i.e. along the rotation's third column here.
 */
export function cameraFacing(front: FaceMesh, rotation: Mat3): Float32Array {
  const N = front.normals;
  const n = N.length / 3;
  const dx = rotation[2];
  const dy = rotation[5];
  const dz = rotation[8];
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = -(N[3 * i] * dx + N[3 * i + 1] * dy + N[3 * i + 2] * dz);
  return out;
}

/** Shares of a point's value: `own` from its photo, `mirror` from its twin's, the rest inpainted (no detail). */
export function shares(seen: number, prefer: number, twinSeen: number): { own: number; mirror: number } {
  return { own: prefer * seen, mirror: (1 - prefer) * twinSeen };
}

const rims: Float32Array[] = [];

/** The rim factor per vertex of a subdivision level: 0 on the face oval, ½ on the ring inside it, 1 elsewhere. */
function rimWeights(subdivisions: Subdivisions): Float32Array {
  if (rims[subdivisions]) return rims[subdivisions];
  const base = new Float64Array(MESH_VERTEX_COUNT).fill(1);
  const oval = new Set(FACE_OVAL);
  const t = faceTriangles();
  for (let k = 0; k < t.length; k += 3) {
    const tri = [t[k], t[k + 1], t[k + 2]];
    if (tri.some((v) => oval.has(v))) for (const v of tri) if (!oval.has(v)) base[v] = 0.5;
  }
  for (const v of oval) base[v] = 0;
  return (rims[subdivisions] = subdivideValues(base, 1, subdivisions));
}
