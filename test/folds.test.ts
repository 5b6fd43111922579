// No folds (issue 16, point 3; docs/outputs.md, "No folds"): the outline of every map is a clean curve, on every
// face of ../shared/faces, in the camera view and in the front view. Measures: render/outline.ts.
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canonicalAlignment, toCrop } from '../src/recon/align.js';
import { buildFaceMesh } from '../src/recon/mesh/build.js';
import { createEngine, type Engine } from '../src/recon/reconstruct.js';
import { outlineQuality } from '../src/recon/render/outline.js';
import type { FaceResult } from '../src/recon/types.js';
import { allPhotos } from './helpers/paths.js';

/** The documented bounds (docs/outputs.md). */
const BOUNDS = {
  /** Outline length over its convex hull's, minus 1: frontal to three-quarter faces, and every front view. */
  perimeterExcess: 0.015,
  /** Camera view of a face turned further (|yaw| > 40°): the nose in profile beyond the cheek is a real concavity. */
  perimeterExcessProfile: 0.06,
  /** Share of the face's pixels where the viewer sees the back of a triangle. */
  foldedShare: 0.002,
};

const S = 256;
let engine: Engine;
const faces: Array<{ name: string; face: FaceResult }> = [];

beforeAll(async () => {
  engine = await createEngine();
  for (const photo of allPhotos()) {
    const r = await engine.reconstruct(photo, { faces: 'all' }).catch(() => undefined);
    for (const k of r?.reconstructed ?? []) faces.push({ name: `${path.basename(photo)}#${k}`, face: r!.faces[k] });
  }
});
afterAll(() => engine.dispose());

describe('the outline of the maps', () => {
  it('is a clean curve in the camera view of every face: no saw-teeth where the mesh folds along a turned face\'s outline', () => {
    expect(faces.length).toBeGreaterThanOrEqual(29);
    for (const { name, face } of faces) {
      const q = outlineQuality(buildFaceMesh(toCrop(face.points!, canonicalAlignment(face.points!, S))), S);
      const bound = Math.abs(face.pose!.yaw) <= 40 ? BOUNDS.perimeterExcess : BOUNDS.perimeterExcessProfile;
      expect(q.perimeterExcess, `${name} yaw ${face.pose!.yaw}`).toBeLessThanOrEqual(bound);
      expect(q.foldedShare, name).toBeLessThanOrEqual(BOUNDS.foldedShare);
    }
  });

  it('is a clean curve in the front view of every face', async () => {
    const { faceViews } = await import('../src/recon/views.js');
    for (const { name, face } of faces) {
      const q = outlineQuality(buildFaceMesh(faceViews(face.points!, face.pose!, S).frame.points), S);
      expect(q.perimeterExcess, name).toBeLessThanOrEqual(BOUNDS.perimeterExcess);
      expect(q.foldedShare, name).toBeLessThanOrEqual(BOUNDS.foldedShare);
    }
  });
});

describe('outlineQuality', () => {
  it('measures 0 for a convex outline and more for a saw-toothed one', () => {
    // A square mesh of two triangles, and the same with a notch cut into one side.
    const square = { positions: Float32Array.from([40, 40, 0, 200, 40, 0, 200, 200, 0, 40, 200, 0]), triangles: Uint32Array.from([0, 2, 1, 0, 3, 2]) };
    const mesh = (m: { positions: Float32Array; triangles: Uint32Array }) => ({
      ...m,
      normals: new Float32Array(m.positions.length).map((_, i) => (i % 3 === 2 ? -1 : 0)),
      uvs: new Float32Array((m.positions.length / 3) * 2),
      baseVertexCount: m.positions.length / 3,
      subdivisions: 0 as const,
    });
    expect(outlineQuality(mesh(square), S).perimeterExcess).toBe(0);
    // Saw-teeth along the right side: triangles reaching out and back in.
    const teeth: number[] = [40, 40, 0, 200, 40, 0, 200, 200, 0, 40, 200, 0];
    const tris: number[] = [0, 2, 1, 0, 3, 2];
    for (let k = 0; k < 8; k++) {
      const y = 40 + 20 * k;
      const i = teeth.length / 3;
      teeth.push(200, y, 0, 230, y + 10, 0, 200, y + 20, 0);
      tris.push(i, i + 2, i + 1);
    }
    const q = outlineQuality(mesh({ positions: Float32Array.from(teeth), triangles: Uint32Array.from(tris) }), S);
    expect(q.perimeterExcess).toBeGreaterThan(0.1);
  });
});
