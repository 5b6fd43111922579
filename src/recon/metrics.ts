// Pure accuracy metrics for 2D facial landmarks, used by scripts/eval.ts and its tests
// (docs/accuracy.md explains the conventions).

/** [x, y, w, h] in image pixels. */
export type Box = readonly [number, number, number, number];
export type Point2 = readonly [number, number];

function meanPointError(pred: ReadonlyArray<Point2>, gt: ReadonlyArray<Point2>): number {
  if (pred.length !== gt.length) {
    throw new RangeError(`landmark count mismatch: predicted ${pred.length}, ground truth ${gt.length}`);
  }
  if (gt.length === 0) throw new RangeError('no landmarks to compare');
  let sum = 0;
  for (let i = 0; i < gt.length; i++) {
    sum += Math.hypot(pred[i][0] - gt[i][0], pred[i][1] - gt[i][1]);
  }
  return sum / gt.length;
}

/**
 * Box-normalised NME (AFLW2000-3D convention): mean point-to-point error divided by sqrt(w·h) of `box`,
 * normally the tight box of the ground-truth points. A fraction (0.03 = 3 %).
 */
export function nmeBox(pred: ReadonlyArray<Point2>, gt: ReadonlyArray<Point2>, box: Box): number {
  const norm = Math.sqrt(box[2] * box[3]);
  if (!(norm > 0)) throw new RangeError(`degenerate normalising box ${JSON.stringify(box)}`);
  return meanPointError(pred, gt) / norm;
}

/**
 * Inter-ocular NME (300-W convention): mean point-to-point error divided by the distance between the
 * ground-truth outer eye corners (iBUG points 36 and 45, 0-based). A fraction.
 */
export function nmeInterocular(pred: ReadonlyArray<Point2>, gt: ReadonlyArray<Point2>): number {
  if (gt.length !== 68) throw new RangeError(`inter-ocular NME needs 68 iBUG points, got ${gt.length}`);
  const d = Math.hypot(gt[36][0] - gt[45][0], gt[36][1] - gt[45][1]);
  if (!(d > 0)) throw new RangeError('degenerate inter-ocular distance');
  return meanPointError(pred, gt) / d;
}

/** Intersection over union of two [x, y, w, h] boxes; 0 when they do not overlap or either is empty. */
export function iou(a: Box, b: Box): number {
  const ix = Math.max(0, Math.min(a[0] + a[2], b[0] + b[2]) - Math.max(a[0], b[0]));
  const iy = Math.max(0, Math.min(a[1] + a[3], b[1] + b[3]) - Math.max(a[1], b[1]));
  const inter = ix * iy;
  const union = Math.max(0, a[2]) * Math.max(0, a[3]) + Math.max(0, b[2]) * Math.max(0, b[3]) - inter;
  return union > 0 ? inter / union : 0;
}

/** Tight [x, y, w, h] box of a point set. */
export function boundingBox(points: ReadonlyArray<Point2>): [number, number, number, number] {
  let x0 = Infinity;
  let y0 = Infinity;
  let x1 = -Infinity;
  let y1 = -Infinity;
  for (const [x, y] of points) {
    if (x < x0) x0 = x;
    if (y < y0) y0 = y;
    if (x > x1) x1 = x;
    if (y > y1) y1 = y;
  }
  if (!Number.isFinite(x0)) throw new RangeError('no points');
  return [x0, y0, x1 - x0, y1 - y0];
}

/** True when the centre of box `inner` lies inside box `outer`. */
export function centreInside(inner: Box, outer: Box): boolean {
  const cx = inner[0] + inner[2] / 2;
  const cy = inner[1] + inner[3] / 2;
  return cx >= outer[0] && cx <= outer[0] + outer[2] && cy >= outer[1] && cy <= outer[1] + outer[3];
}

export function mean(values: ReadonlyArray<number>): number {
  if (values.length === 0) return NaN;
  let s = 0;
  for (const v of values) s += v;
  return s / values.length;
}
