// How clean a rendered view's outline is (docs/outputs.md, "No folds"): two measures of a mesh rendered by
// raster.ts, both 0-based so "no fold" reads as 0.
//
// - perimeter excess: the mask's outline length (4-connected pixel edges of coverage ≥ ½) over that of its
//   convex hull, minus 1. A convex pixel region measures 0 exactly (its staircase outline is as long as its
//   hull's, in this L1 measure); saw-teeth and notches along the outline add to it. A real concavity (the
//   nose's profile beyond the cheek of a strongly turned face) adds a little too.
// - folded share: the share of the face's pixels where the nearest surface is a triangle facing away from the
//   viewer, or where only such triangles are: where the mesh folds over itself, the viewer sees its back.
import type { FaceMesh } from '../mesh/build.js';
import { rasterize } from './raster.js';

export interface OutlineQuality {
  perimeterExcess: number;
  foldedShare: number;
}


export function outlineQuality(mesh: FaceMesh, size: number): OutlineQuality {
  const all = rasterize(mesh, size);
  const front = rasterize(mesh, size, { cullBackFaces: true });
  let area = 0;
  let folded = 0;
  for (let p = 0; p < size * size; p++) {
    if (!(all.coverage[p] > 0)) continue;
    area++;
    // Same surface, same depth; a back face in front of the front faces (or alone) is a fold.
    if (!(front.coverage[p] > 0) || all.depth[p] < front.depth[p] - 0.5) folded++;
  }
  return { perimeterExcess: perimeterExcess(all.coverage, size), foldedShare: area > 0 ? folded / area : 0 };
}

/** Outline length of the region coverage ≥ ½ over its convex hull's, minus 1 (L1 lengths, pixel edges). */
export function perimeterExcess(coverage: ArrayLike<number>, size: number): number {
  const inside = (x: number, y: number): boolean => x >= 0 && y >= 0 && x < size && y < size && coverage[y * size + x] >= 0.5;
  let edges = 0;
  // Corners of the region's pixels, per row: the leftmost and rightmost only (enough for the hull).
  const corners: Array<[number, number]> = [];
  for (let y = 0; y < size; y++) {
    let first = -1;
    let last = -1;
    for (let x = 0; x < size; x++) {
      if (!inside(x, y)) continue;
      if (first < 0) first = x;
      last = x;
      if (!inside(x - 1, y)) edges++;
      if (!inside(x + 1, y)) edges++;
      if (!inside(x, y - 1)) edges++;
      if (!inside(x, y + 1)) edges++;
    }
    if (first >= 0) corners.push([first, y], [first, y + 1], [last + 1, y], [last + 1, y + 1]);
  }
  if (corners.length === 0) return 0;
  const hull = convexHull(corners);
  let hullLength = 0;
  for (let i = 0; i < hull.length; i++) {
    const a = hull[i];
    const b = hull[(i + 1) % hull.length];
    hullLength += Math.abs(b[0] - a[0]) + Math.abs(b[1] - a[1]);
  }
  return edges / hullLength - 1;
}

/** Andrew's monotone chain, counter-clockwise, no collinear points. */
function convexHull(points: Array<[number, number]>): Array<[number, number]> {
  const pts = [...points].sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  const cross = (o: number[], a: number[], b: number[]): number => (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0]);
  const lower: Array<[number, number]> = [];
  for (const p of pts) {
    while (lower.length >= 2 && cross(lower[lower.length - 2], lower[lower.length - 1], p) <= 0) lower.pop();
    lower.push(p);
  }
  const upper: Array<[number, number]> = [];
  for (let i = pts.length - 1; i >= 0; i--) {
    const p = pts[i];
    while (upper.length >= 2 && cross(upper[upper.length - 2], upper[upper.length - 1], p) <= 0) upper.pop();
    upper.push(p);
  }
  return lower.slice(0, -1).concat(upper.slice(0, -1));
}
