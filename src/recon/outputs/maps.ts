// The image outputs of one face, all pixel-aligned with the canonical crop (align.ts): crop.png (the photo),
// structure.png, depth.png, normal.png and mask.png. The maps come from rendering the smoothed face mesh
// (mesh/build.ts) with the software rasteriser (render/raster.ts) from the front, orthographically: the crop
// image is the view. Pure apart from the PNG encoding (png.ts, deflated on libuv's thread pool). Conventions are
// documented in docs/outputs.md.
//
// Structure map (architecture note §5). Per covered pixel, with S the crop size and z the rendered depth
// (crop pixels, away from the camera):
//   s = EXPOSURE·(AMBIENT + (1 − AMBIENT)·max(0, N·L))      Lambert + soft ambient, light from the viewer:
//                                                            L = (0, 0, −1), so N·L = −n_z
//     + RELIEF_GAIN·(blur(z) − z)/S                          relief: height above the locally averaged surface
//     + detail·DETAIL_GAIN·hp                                photo detail (below)
//   s → soft shoulder above KNEE (tanh), soft toe below TOE (exp), so nothing clips hard
//   value = round(255·s·coverage); 0 only outside the face (a fully covered pixel is at least 1)
// Plain front lighting makes every surface facing the camera equally bright (the eyelids as bright as the
// nose tip), so the relief term, the depth relative to a masked Gaussian-like blur of the depth (σ ≈
// RELIEF_RADIUS·S, normalised inside the mask), brightens what stands out (nose, brows, cheekbones, lips,
// chin) and darkens what lies in (eye sockets, nasolabial folds, mouth corners) and the receding rim: an
// ambient-occlusion-like cue of the geometry. It is invariant to a tilt of the whole face (the blur of a
// plane is the plane), which keeps it steady across head poses. The constants were tuned on real photos for
// mirror symmetry, nose-vs-eye-socket contrast and agreement between photos of one face (test/render-maps).
// `hp` is the photo's lighting-normalised high-pass luminance, (Y − blur(Y)) / (blur(Y) + 8) with a small
// blur (≈ DETAIL_RADIUS·S) taken inside the mask and clamped to ±DETAIL_CLAMP: a ratio, so smooth
// illumination (shading, colour casts, exposure) divides out while creases, the lip line, brows and
// eyelashes stay.
import { IPD_FRACTION, IPD_METRES, MAX_SIZE, MIN_SIZE, type Alignment } from '../align.js';
import { invalidOption } from '../errors.js';
import { invertAffine, type Affine } from '../geometry.js';
import type { FaceMesh } from '../mesh/build.js';
import { encodePng as writePng, type PngRaster } from './png.js';
import { maskedBlur } from '../render/filters.js';
import { rasterize, type RasterBuffers } from '../render/raster.js';
import { resampleRgb } from '../render/resample.js';
import { shares } from '../visibility.js';
import type { RgbImage } from '../types.js';

/** Structure-map shading constants (see the header). */
export const STRUCTURE = {
  KNEE: 0.8,
  TOE: 0.15,
  EXPOSURE: 0.75,
  AMBIENT: 0.3,
  RELIEF_GAIN: 3.5,
  RELIEF_RADIUS: 0.1,
  DETAIL_GAIN: 1.2,
  DETAIL_RADIUS: 0.012,
  DETAIL_CLAMP: 0.35,
} as const;

export const MAPS_DEFAULTS = { detail: 0.5 } as const;

export interface MapsOptions {
  /** Weight of the photo's high-pass luminance layer in the structure map, 0–1 (default 0.5; needs `photo`). */
  detail?: number;
  /**
   * Depth values' range in mesh-space metres (Z towards the camera, 0 at the pupils' depth): `auto` (default)
   * stretches this face's nearest and farthest visible points over 1…65535; a fixed range makes values
   * comparable across faces (points outside it are clamped).
   */
  depthRange?: 'auto' | { nearMetres: number; farMetres: number };
  /** Rasteriser buffers to reuse between calls of the same size. */
  raster?: RasterBuffers;
  /**
   * Which files are wanted (default all of MAP_FILES). Maps not listed are not computed and come back empty
   * (length 0, timing 0); renderFaceImages also encodes only these.
   */
  outputs?: ReadonlyArray<MapFile>;
}

export type PhotoInput =
  | {
      image: RgbImage;
      /** Image pixels → crop pixels (Alignment.matrix). */
      toCrop: Affine;
      /** The photo already warped into the crop (renderCrop's output), to skip a second resampling. */
      crop?: Uint8Array;
    }
  /** The photo already warped into the crop: then only the photo's size is needed (to tell pixels outside it). */
  | { imageSize: { width: number; height: number }; toCrop: Affine; crop: Uint8Array };

/**
 * The detail source of a front view (head-frame.ts): the camera view's crop and, per vertex of the front mesh,
 * where that surface point lies in the crop, how well the photo saw it and whether it prefers its own view to
 * its mirror twin's (x, y crop pixels, seen and prefer 0–1; visibility.ts), 4 values per vertex in the front
 * mesh's vertex order (views.ts frontSource).
 */
export interface FrontPhoto {
  front: true;
  crop: Uint8Array;
  vertices: Float32Array;
}

/**
 * How depth.png's values map back to geometry. Value 0 is background; v ≥ 1 is the surface at mesh-space
 * Z = farMetres + (v − 1)·metresPerUnit (metres, +Z towards the camera, 0 at the pupils' depth), i.e. nearer
 * is brighter: 65535 is the nearest point (the nose tip), 1 the farthest.
 */
export interface DepthScale {
  encoding: 'uint16, 0 = background, nearer = larger';
  /** Mesh-space Z (metres) of value 65535 and of value 1. */
  nearMetres: number;
  farMetres: number;
  /** Metres per depth step: (nearMetres − farMetres) / 65534. */
  metresPerUnit: number;
  /** The same range in crop-frame z (crop pixels, growing away from the camera; 0 at the pupils' depth). */
  nearCropZ: number;
  farCropZ: number;
  /** Metres per crop pixel (x, y and z share it). */
  metresPerPixel: number;
}

export interface FaceMaps {
  size: number;
  /** size², 8-bit grey, 0 outside the face. */
  structure: Uint8Array;
  /** size², 16-bit (see depthScale). */
  depth: Uint16Array;
  depthScale: DepthScale;
  /** size² × 3 RGB: mesh-space unit normal n as (n + 1)/2·255 (+X right, +Y up, +Z towards the camera); 0,0,0 outside. */
  normal: Uint8Array;
  /** size², 0–255 coverage of the pixel by the face surface. */
  mask: Uint8Array;
  /** Milliseconds per step. */
  timings: { raster: number; structure: number; depth: number; normal: number; mask: number };
  /**
   * Front view only (a FrontPhoto given): shares of the face's area in this view whose detail comes from the
   * photo's own view of it, from the mirror side, or from neither (visibility.ts shares). They sum to 1.
   */
  shares?: { seen: number; mirrored: number; inpainted: number };
}

/**
 * Render the maps of one face (all four unless `opts.outputs` narrows them). `mesh` is in the pixels of a
 * size×size canonical crop (buildFaceMesh over toCrop points of an alignment made with this size). With
 * `photo`, the structure map gets the detail layer.
 */
export function renderMaps(mesh: FaceMesh, size: number, photo?: PhotoInput | FrontPhoto, opts: MapsOptions = {}): FaceMaps {
  if (!Number.isInteger(size) || size < MIN_SIZE || size > MAX_SIZE) throw invalidOption('size', `integer ${MIN_SIZE}–${MAX_SIZE}`, size);
  const { detail, range, want } = validateMapsOptions(opts);
  // (A front view without a photo, detail 0, carries an empty crop: only its seen weights are used.)
  if (photo?.crop?.length && photo.crop.length !== size * size * 3) throw invalidOption('photo.crop.length', `${size * size * 3} (size² × 3)`, photo.crop.length);
  const timings = { raster: 0, structure: 0, depth: 0, normal: 0, mask: 0 };
  const maps: FaceMaps = {
    size,
    structure: new Uint8Array(0),
    depth: new Uint16Array(0),
    depthScale: depthScaleOf(0, 0, size),
    normal: new Uint8Array(0),
    mask: new Uint8Array(0),
    timings,
  };
  if (!want.has('structure.png') && !want.has('depth.png') && !want.has('normal.png') && !want.has('mask.png')) return maps;
  const ws = workspace(size);
  let t = performance.now();
  const lap = (): number => {
    const t0 = t;
    t = performance.now();
    return t - t0;
  };
  const front = photo && 'front' in photo ? photo : undefined;
  if (front && front.vertices.length !== (mesh.positions.length / 3) * 4) throw invalidOption('photo.vertices.length', `${(mesh.positions.length / 3) * 4} (4 per vertex)`, front.vertices.length);
  const r = rasterize(mesh, size, { target: opts.raster?.size === size ? opts.raster : ws.raster, attributes: front ? { values: front.vertices, channels: 4 } : undefined });
  timings.raster = lap();
  if (front) maps.shares = frontShares(r, ws);
  if (want.has('structure.png')) {
    maps.structure = structureMap(r, detail > 0 ? photo : undefined, detail, ws);
    timings.structure = lap();
  }
  const { depth, depthScale } = depthMap(r, range, want.has('depth.png'));
  maps.depth = depth;
  maps.depthScale = depthScale;
  timings.depth = lap();
  if (want.has('normal.png')) {
    maps.normal = normalMap(r);
    timings.normal = lap();
  }
  if (want.has('mask.png')) {
    maps.mask = maskMap(r);
    timings.mask = lap();
  }
  return maps;
}

export function validateMapsOptions(opts: MapsOptions): { detail: number; range: NonNullable<MapsOptions['depthRange']>; want: Set<MapFile> } {
  const detail = opts.detail ?? MAPS_DEFAULTS.detail;
  if (typeof detail !== 'number' || !(detail >= 0 && detail <= 1)) throw invalidOption('detail', 'number 0–1', detail);
  const range = opts.depthRange ?? 'auto';
  if (range !== 'auto' && !(Number.isFinite(range?.nearMetres) && Number.isFinite(range?.farMetres) && range.nearMetres > range.farMetres)) {
    throw invalidOption('depthRange', '"auto" or {nearMetres, farMetres} with nearMetres > farMetres', range);
  }
  const want = new Set<MapFile>(opts.outputs ?? MAP_FILES);
  for (const f of want) if (!(MAP_FILES as ReadonlyArray<string>).includes(f)) throw invalidOption('outputs', `names from ${MAP_FILES.join(', ')}`, f);
  return { detail, range, want };
}

/** crop.png: the photo warped into the canonical crop of `alignment` (size² × 3 RGB, black outside the photo). */
export function renderCrop(image: RgbImage, alignment: Pick<Alignment, 'matrix' | 'size'>): Uint8Array {
  return resampleRgb(image, alignment.matrix, alignment.size);
}

/** Scratch images of one size, kept between calls: allocating and zeroing them cost as much as using them. */
interface Workspace {
  size: number;
  raster: RasterBuffers;
  /** The detail layer's luminance and weights, and the two blurs. */
  lum: Float32Array;
  weight: Float32Array;
  relief: Float32Array;
  base: Float32Array;
  /** The detail layer (high-pass), the front view's seen weights and its mirror-completed detail. */
  hp: Float32Array;
  seen: Float32Array;
  prefer: Float32Array;
  mirrored: Float32Array;
}

/** Largest size whose workspace (52 bytes a pixel: 3.4 MB at 256) stays cached; larger ones are rare and slow anyway. */
const CACHED_WORKSPACE_MAX = 512;
let cachedWorkspace: Workspace | undefined;

// renderMaps is synchronous and never hands these buffers out, so one workspace per thread is safe.
function workspace(size: number): Workspace {
  if (cachedWorkspace?.size === size) return cachedWorkspace;
  const n = size * size;
  const ws: Workspace = {
    size,
    raster: { size, depth: new Float32Array(n), normal: new Float32Array(3 * n), coverage: new Float32Array(n) },
    lum: new Float32Array(n),
    weight: new Float32Array(n),
    relief: new Float32Array(n),
    base: new Float32Array(n),
    hp: new Float32Array(n),
    seen: new Float32Array(n),
    prefer: new Float32Array(n),
    mirrored: new Float32Array(n),
  };
  cachedWorkspace = size <= CACHED_WORKSPACE_MAX ? ws : undefined;
  return ws;
}

/** The raster bounds, or an empty box when nothing was drawn. Every covered pixel lies inside them. */
function boundsOf(r: RasterBuffers): [number, number, number, number] {
  return r.bounds ?? [0, 0, r.size - 1, r.size - 1];
}

// The map loops below walk the raster bounds row by row and skip uncovered pixels inline: a per-pixel
// callback cost more than the work it did.

function structureMap(r: RasterBuffers, photo: PhotoInput | FrontPhoto | undefined, detail: number, ws: Workspace): Uint8Array {
  const { size, depth, normal, coverage } = r;
  const n = size * size;
  const { KNEE, TOE, EXPOSURE, AMBIENT, RELIEF_GAIN, RELIEF_RADIUS, DETAIL_GAIN } = STRUCTURE;
  const out = new Uint8Array(n);
  const [bx0, by0, bx1, by1] = boundsOf(r);
  if (bx1 < bx0) return out;
  // depth is finite exactly where coverage > 0, the only pixels maskedBlur reads.
  const zAvg = maskedBlur(depth, coverage, size, size, RELIEF_RADIUS * size, r.bounds, 3, ws.relief);
  const hp = photo ? ('front' in photo ? frontDetail(r, photo, ws) : cameraDetail(r, photo, ws)) : undefined;
  const reliefScale = RELIEF_GAIN / size;
  const detailScale = detail * DETAIL_GAIN;
  const shoulder = 1 - KNEE;
  for (let j = by0; j <= by1; j++) {
    for (let p = j * size + bx0, e = j * size + bx1; p <= e; p++) {
      const c = coverage[p];
      if (!(c > 0)) continue;
      const nl = -normal[3 * p + 2];
      let s = EXPOSURE * (AMBIENT + (1 - AMBIENT) * (nl > 0 ? nl : 0)) + reliefScale * (zAvg[p] - depth[p]);
      if (hp) s += detailScale * hp[p];
      // Soft shoulder above KNEE and soft toe below TOE instead of hard clips, so the brightest relief (the
      // nose) keeps its shape and the darkest (deep folds, the rim) stays distinguishable from background.
      if (s > KNEE) s = KNEE + shoulder * Math.tanh((s - KNEE) / shoulder);
      else if (s < TOE) s = TOE * Math.exp((s - TOE) / TOE);
      const v = s * c * 255 + 0.5;
      // 0 means background: a fully covered pixel is at least 1.
      out[p] = c === 1 && v < 1 ? 1 : v;
    }
  }
  return out;
}

/** The lighting-normalised high-pass (header): (Y − blur Y)/(blur Y + 8), clamped, where `weight` > 0, else 0. */
function highPass(r: RasterBuffers, ws: Workspace): Float32Array {
  const { size } = r;
  const { lum, weight, hp } = ws;
  const { DETAIL_RADIUS, DETAIL_CLAMP } = STRUCTURE;
  const [bx0, by0, bx1, by1] = boundsOf(r);
  const base = maskedBlur(lum, weight, size, size, DETAIL_RADIUS * size, r.bounds, 2, ws.base);
  for (let j = by0; j <= by1; j++) {
    for (let p = j * size + bx0, e = j * size + bx1; p <= e; p++) {
      if (weight[p] === 0) {
        hp[p] = 0;
        continue;
      }
      const b = base[p];
      const v = (lum[p] - b) / (b + 8);
      hp[p] = v < -DETAIL_CLAMP ? -DETAIL_CLAMP : v > DETAIL_CLAMP ? DETAIL_CLAMP : v;
    }
  }
  return hp;
}

/** Camera view: the crop's luminance, weighted by coverage and by whether the pixel lies inside the photo at all. */
function cameraDetail(r: RasterBuffers, photo: PhotoInput, ws: Workspace): Float32Array {
  const { size, coverage } = r;
  const [bx0, by0, bx1, by1] = boundsOf(r);
  const { lum, weight } = ws;
  const crop = photo.crop ?? resampleRgb((photo as { image: RgbImage }).image, photo.toCrop, size);
  const toImage = invertAffine(photo.toCrop);
  const { width, height } = 'image' in photo ? photo.image : photo.imageSize;
  const inside = (u: number, v: number): boolean => {
    const x = toImage[0] * u + toImage[1] * v + toImage[2];
    const y = toImage[3] * u + toImage[4] * v + toImage[5];
    return x >= 0 && y >= 0 && x < width && y < height;
  };
  // The photo is convex: when the corners of the drawn region fall inside it, so does every pixel.
  const allInside = inside(bx0, by0) && inside(bx1 + 1, by0) && inside(bx0, by1 + 1) && inside(bx1 + 1, by1 + 1);
  // Every weight inside the bounds is written (maskedBlur scans only them), lum only where it counts.
  for (let j = by0; j <= by1; j++) {
    for (let i = bx0, p = j * size + bx0; i <= bx1; i++, p++) {
      const c = coverage[p];
      if (c > 0 && (allInside || inside(i + 0.5, j + 0.5))) {
        lum[p] = 0.299 * crop[3 * p] + 0.587 * crop[3 * p + 1] + 0.114 * crop[3 * p + 2];
        weight[p] = c;
      } else weight[p] = 0;
    }
  }
  return highPass(r, ws);
}

/**
 * Front view: each pixel's seen and prefer weights (the rasteriser interpolated them; ws.seen, ws.prefer, 0
 * outside the face) and the shares of the face's area by where its detail comes from.
 */
function frontShares(r: RasterBuffers, ws: Workspace): NonNullable<FaceMaps['shares']> {
  const { size, coverage } = r;
  const attr = r.attr!;
  const [bx0, by0, bx1, by1] = boundsOf(r);
  const { seen, prefer } = ws;
  for (let j = by0; j <= by1; j++) {
    for (let p = j * size + bx0, e = j * size + bx1; p <= e; p++) {
      const c = coverage[p] > 0;
      seen[p] = c ? attr[4 * p + 2] : 0;
      prefer[p] = c ? attr[4 * p + 3] : 0;
    }
  }
  let area = 0;
  let own = 0;
  let mirrored = 0;
  const last = size - 1;
  for (let j = by0; j <= by1; j++) {
    const row = j * size;
    for (let i = bx0, p = row + bx0; i <= bx1; i++, p++) {
      const c = coverage[p];
      if (!(c > 0)) continue;
      const mi = last - i;
      const twin = mi >= bx0 && mi <= bx1 && coverage[row + mi] > 0 ? seen[row + mi] : 0;
      const sh = shares(seen[p], prefer[p], twin);
      area += c;
      own += c * sh.own;
      mirrored += c * sh.mirror;
    }
  }
  return area > 0 ? { seen: own / area, mirrored: mirrored / area, inpainted: Math.max(0, 1 - (own + mirrored) / area) } : { seen: 0, mirrored: 0, inpainted: 1 };
}

/**
 * Front view: each pixel's surface point looked up in the camera crop (the rasteriser interpolated its crop
 * position and seen weight, visibility.ts), the high-pass taken over what the photo saw, then completed from
 * the mirror pixel (x → S − 1 − x; the head frame puts the midline there) by visibility.ts's shares: a pixel
 * keeps its own detail unless its twin was seen clearly better. Parts seen on neither side get no detail.
 */
function frontDetail(r: RasterBuffers, photo: FrontPhoto, ws: Workspace): Float32Array {
  const { size, coverage } = r;
  const attr = r.attr!;
  const [bx0, by0, bx1, by1] = boundsOf(r);
  const { lum, weight, seen, prefer } = ws;
  const { crop } = photo;
  const last = size - 1;
  for (let j = by0; j <= by1; j++) {
    for (let p = j * size + bx0, e = j * size + bx1; p <= e; p++) {
      const c = coverage[p];
      const w = seen[p];
      if (!(c > 0) || !(w > 0)) {
        weight[p] = 0;
        continue;
      }
      // Bilinear luminance at the crop position (pixel centres at +0.5).
      const x = attr[4 * p] - 0.5;
      const y = attr[4 * p + 1] - 0.5;
      if (!(x >= 0 && y >= 0 && x < last && y < last)) {
        weight[p] = 0;
        continue;
      }
      const ix = x | 0;
      const iy = y | 0;
      const fx = x - ix;
      const fy = y - iy;
      const q = 3 * (iy * size + ix);
      const q2 = q + 3 * size;
      const l00 = 0.299 * crop[q] + 0.587 * crop[q + 1] + 0.114 * crop[q + 2];
      const l10 = 0.299 * crop[q + 3] + 0.587 * crop[q + 4] + 0.114 * crop[q + 5];
      const l01 = 0.299 * crop[q2] + 0.587 * crop[q2 + 1] + 0.114 * crop[q2 + 2];
      const l11 = 0.299 * crop[q2 + 3] + 0.587 * crop[q2 + 4] + 0.114 * crop[q2 + 5];
      lum[p] = (l00 * (1 - fx) + l10 * fx) * (1 - fy) + (l01 * (1 - fx) + l11 * fx) * fy;
      weight[p] = c * w;
    }
  }
  const hp = highPass(r, ws);
  const out = ws.mirrored;
  for (let j = by0; j <= by1; j++) {
    const row = j * size;
    for (let i = bx0, p = row + bx0; i <= bx1; i++, p++) {
      if (!(coverage[p] > 0)) continue;
      const m = row + last - i;
      const mi = last - i;
      // Outside the raster bounds nothing was drawn: no mirror there.
      const twin = mi >= bx0 && mi <= bx1 && coverage[m] > 0 ? seen[m] : 0;
      const { own, mirror } = shares(seen[p], prefer[p], twin);
      out[p] = (own > 0 ? own * hp[p] : 0) + (mirror > 0 ? mirror * hp[m] : 0);
    }
  }
  return out;
}

function depthScaleOf(near: number, far: number, size: number): DepthScale {
  const k = IPD_METRES / (IPD_FRACTION * size);
  const nearMetres = -near * k;
  const farMetres = -far * k;
  return {
    encoding: 'uint16, 0 = background, nearer = larger',
    nearMetres,
    farMetres,
    metresPerUnit: (nearMetres - farMetres) / 65534,
    nearCropZ: near,
    farCropZ: far,
    metresPerPixel: k,
  };
}

/** depth.png (empty unless `values`) and its scale. */
function depthMap(r: RasterBuffers, range: NonNullable<MapsOptions['depthRange']>, values: boolean): { depth: Uint16Array; depthScale: DepthScale } {
  const { size, depth, coverage } = r;
  const k = IPD_METRES / (IPD_FRACTION * size);
  const [bx0, by0, bx1, by1] = boundsOf(r);
  let near = Infinity;
  let far = -Infinity;
  if (range === 'auto') {
    for (let j = by0; j <= by1; j++) {
      for (let p = j * size + bx0, e = j * size + bx1; p <= e; p++) {
        if (!(coverage[p] > 0)) continue;
        const z = depth[p];
        if (z < near) near = z;
        if (z > far) far = z;
      }
    }
    if (!(near < Infinity)) {
      near = 0;
      far = 0;
    }
  } else {
    near = -range.nearMetres / k;
    far = -range.farMetres / k;
  }
  const depthScale = depthScaleOf(near, far, size);
  if (!values) return { depth: new Uint16Array(0), depthScale };
  const span = far - near;
  const out = new Uint16Array(size * size);
  const scale = span > 0 ? 65534 / span : 0;
  for (let j = by0; j <= by1; j++) {
    for (let p = j * size + bx0, e = j * size + bx1; p <= e; p++) {
      if (!(coverage[p] > 0)) continue;
      const v = 65535.5 - (depth[p] - near) * scale;
      out[p] = v < 1 ? 1 : v > 65535 ? 65535 : v;
    }
  }
  return { depth: out, depthScale };
}

function normalMap(r: RasterBuffers): Uint8Array {
  const { size, normal, coverage } = r;
  const out = new Uint8Array(size * size * 3);
  const [bx0, by0, bx1, by1] = boundsOf(r);
  // Crop frame (x right, y down, z away) → mesh frame (x right, y up, z towards the camera).
  for (let j = by0; j <= by1; j++) {
    for (let p = j * size + bx0, e = j * size + bx1; p <= e; p++) {
      if (!(coverage[p] > 0)) continue;
      const q = 3 * p;
      out[q] = (normal[q] + 1) * 127.5 + 0.5;
      out[q + 1] = (1 - normal[q + 1]) * 127.5 + 0.5;
      out[q + 2] = (1 - normal[q + 2]) * 127.5 + 0.5;
    }
  }
  return out;
}

function maskMap(r: RasterBuffers): Uint8Array {
  const { size, coverage } = r;
  const out = new Uint8Array(size * size);
  const [bx0, by0, bx1, by1] = boundsOf(r);
  for (let j = by0; j <= by1; j++) {
    for (let p = j * size + bx0, e = j * size + bx1; p <= e; p++) out[p] = coverage[p] * 255 + 0.5;
  }
  return out;
}

export const MAP_FILES = ['crop.png', 'structure.png', 'depth.png', 'normal.png', 'mask.png'] as const;
export type MapFile = (typeof MAP_FILES)[number];

export interface EncodeOptions {
  /** zlib level 0–9 for every PNG (default 1; see png.ts — with its run-length strategy the level barely matters). */
  compressionLevel?: number;
}

/** PNG bytes of a size×size raster: Uint8Array → 8-bit, Uint16Array → 16-bit; 1 channel grey, 3 RGB. */
export function encodePng(data: Uint8Array | Uint16Array, size: number, channels: 1 | 3, opts: EncodeOptions & { photo?: boolean } = {}): Promise<Buffer> {
  return writePng({ data, width: size, height: size, channels }, opts);
}

/**
 * The rasters behind each wanted PNG: structure.png and mask.png 8-bit grey, depth.png 16-bit grey, normal.png
 * and (given `crop`) crop.png 8-bit RGB, the crop coded as a photo (png.ts).
 */
export function mapRasters(
  maps: FaceMaps,
  opts: { crop?: Uint8Array; outputs?: ReadonlyArray<MapFile> } = {},
): Array<{ file: MapFile; raster: PngRaster; photo: boolean }> {
  const want = new Set<MapFile>(opts.outputs ?? MAP_FILES);
  const s = maps.size;
  const grey = (data: Uint8Array | Uint16Array): PngRaster => ({ data, width: s, height: s, channels: 1 });
  const rgb = (data: Uint8Array): PngRaster => ({ data, width: s, height: s, channels: 3 });
  const out: Array<{ file: MapFile; raster: PngRaster; photo: boolean }> = [];
  if (want.has('structure.png')) out.push({ file: 'structure.png', raster: grey(maps.structure), photo: false });
  if (want.has('depth.png')) out.push({ file: 'depth.png', raster: grey(maps.depth), photo: false });
  if (want.has('normal.png')) out.push({ file: 'normal.png', raster: rgb(maps.normal), photo: false });
  if (want.has('mask.png')) out.push({ file: 'mask.png', raster: grey(maps.mask), photo: false });
  if (opts.crop && want.has('crop.png')) out.push({ file: 'crop.png', raster: rgb(opts.crop), photo: true });
  return out;
}

/** PNG bytes of the maps (all four unless `outputs` narrows them) and, given `crop`, of crop.png (mapRasters), encoded in parallel on libuv's thread pool. */
export async function encodeMaps(
  maps: FaceMaps,
  opts: EncodeOptions & { crop?: Uint8Array; outputs?: ReadonlyArray<MapFile> } = {},
): Promise<Partial<Record<MapFile, Buffer>>> {
  const jobs = mapRasters(maps, opts);
  const bufs = await Promise.all(jobs.map((j) => writePng(j.raster, { compressionLevel: opts.compressionLevel, photo: j.photo })));
  return Object.fromEntries(jobs.map((j, k) => [j.file, bufs[k]]));
}

/** `outputs` (from MapsOptions) also chooses the files encoded. */
export type FaceImagesOptions = MapsOptions & EncodeOptions;

export interface FaceImages {
  maps: FaceMaps;
  /** crop.png's pixels (size² × 3 RGB); empty when neither crop.png nor the structure map's detail layer needed them. */
  crop: Uint8Array;
  files: Partial<Record<MapFile, Buffer>>;
  /** Milliseconds: main-thread steps, then `encode` = the wait for the PNG encoders after rendering ended
   *  (crop.png is encoded while the maps render), and `total`. */
  timings: { crop: number; raster: number; structure: number; depth: number; normal: number; mask: number; encode: number; total: number };
}

/**
 * Every image output of one face, encoded: the crop, then (while crop.png encodes on the thread pool) the
 * maps, then their PNGs. `mesh` is buildFaceMesh of the face's toCrop points under this `alignment`.
 */
export async function renderFaceImages(image: RgbImage, alignment: Alignment, mesh: FaceMesh, opts: FaceImagesOptions = {}): Promise<FaceImages> {
  const { detail, want } = validateMapsOptions(opts);
  const t0 = performance.now();
  const needCrop = want.has('crop.png') || (want.has('structure.png') && detail > 0);
  const crop = needCrop ? renderCrop(image, alignment) : new Uint8Array(0);
  const t1 = performance.now();
  const cropPng = want.has('crop.png') ? encodePng(crop, alignment.size, 3, { ...opts, photo: true }) : undefined;
  // Keep a failed crop encode from surfacing as an unhandled rejection while the maps render.
  cropPng?.catch(() => undefined);
  const maps = renderMaps(mesh, alignment.size, needCrop ? { image, toCrop: alignment.matrix, crop } : undefined, opts);
  const t2 = performance.now();
  const [files, cropFile] = await Promise.all([encodeMaps(maps, { ...opts, outputs: [...want].filter((f) => f !== 'crop.png') }), cropPng]);
  const t3 = performance.now();
  if (cropFile) files['crop.png'] = cropFile;
  return { maps, crop, files, timings: { crop: t1 - t0, ...maps.timings, encode: t3 - t2, total: t3 - t0 } };
}
