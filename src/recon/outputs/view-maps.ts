// The maps of both views of one face (views.ts), from plain data so the maps thread can run it: the camera
// view's structure/depth/normal/mask (pixel-aligned with crop.png) and the front view's (the head frame), the
// front view's detail layer taken from the camera crop where the photo saw the face, mirrored where it did
// not (maps.ts frontDetail). Pure, synchronous; PNG encoding is the caller's.
import type { Affine } from '../geometry.js';
import type { Mat3 } from '../head-frame.js';
import { buildFaceMesh } from '../mesh/build.js';
import { rasterize, type RasterBuffers } from '../render/raster.js';
import type { Vec3 } from '../types.js';
import { frontSource } from '../views.js';
import { cameraFacing, vertexVisibility } from '../visibility.js';
import { mapRasters, MAP_FILES, renderMaps, type FaceMaps, type MapFile, type MapsOptions } from './maps.js';
import type { PngRaster } from './png.js';

/** The front view's files, in the order of their camera-view twins. */
export const FRONT_MAP_FILES = ['front-structure.png', 'front-depth.png', 'front-normal.png', 'front-mask.png'] as const;
export type FrontMapFile = (typeof FRONT_MAP_FILES)[number];
export type ViewMapFile = MapFile | FrontMapFile;
export const VIEW_MAP_FILES: ReadonlyArray<ViewMapFile> = [...MAP_FILES, ...FRONT_MAP_FILES];

export interface ViewMapsInput {
  size: number;
  /** Image pixels → camera-view crop pixels (Alignment.matrix). */
  toCrop: Affine;
  imageSize: { width: number; height: number };
  /** The photo warped into the camera crop, when crop.png or a structure map's detail layer needs it. */
  crop?: Uint8Array;
  /** The face's points in camera-view and front-view crop pixels (views.ts). */
  camera: Vec3[];
  front: Vec3[];
  /** The head frame's rotation (image → head axes), for the camera's direction in the front view. */
  rotation: Mat3;
  detail?: number;
  depthRange?: MapsOptions['depthRange'];
  outputs: ReadonlyArray<ViewMapFile>;
}

export interface ViewMaps {
  camera: FaceMaps;
  front: FaceMaps;
}

let cameraRaster: RasterBuffers | undefined;

/** Render the wanted maps of both views. */
export function renderViewMaps(input: ViewMapsInput): ViewMaps {
  const { size, detail } = input;
  const cameraWant = input.outputs.filter((f): f is MapFile => (MAP_FILES as ReadonlyArray<string>).includes(f) && f !== 'crop.png');
  const frontWant = input.outputs.filter((f): f is FrontMapFile => (FRONT_MAP_FILES as ReadonlyArray<string>).includes(f)).map(cameraTwin);
  const photo = input.crop ? { imageSize: input.imageSize, toCrop: input.toCrop, crop: input.crop } : undefined;
  const cameraMesh = buildFaceMesh(input.camera);
  // The camera view's depth is needed for the front view's visibility too: render into buffers of our own,
  // so the front view's render (into the maps workspace) leaves it alone.
  if (cameraRaster?.size !== size) cameraRaster = size <= 512 ? { size, depth: new Float32Array(size * size), normal: new Float32Array(3 * size * size), coverage: new Float32Array(size * size) } : undefined;
  const target = cameraRaster ?? { size, depth: new Float32Array(size * size), normal: new Float32Array(3 * size * size), coverage: new Float32Array(size * size) };
  const camera = renderMaps(cameraMesh, size, photo, { detail, depthRange: input.depthRange, outputs: cameraWant, raster: target });
  let front = renderMaps(cameraMesh, size, undefined, { outputs: [] });
  if (frontWant.length) {
    if (!cameraWant.length) rasterize(cameraMesh, size, { target });
    const frontMesh = buildFaceMesh(input.front);
    const vis = vertexVisibility(cameraMesh, cameraFacing(frontMesh, input.rotation), target, input.toCrop, input.imageSize);
    const vertices = frontSource({ camera: cameraMesh, ...vis });
    front = renderMaps(frontMesh, size, { front: true, crop: input.crop ?? new Uint8Array(0), vertices }, { detail: input.crop ? detail : 0, depthRange: input.depthRange, outputs: frontWant });
  }
  return { camera, front };
}

/** The PNG rasters of the wanted files (crop.png from `crop`), camera view first. */
export function viewMapRasters(maps: ViewMaps, crop: Uint8Array | undefined, outputs: ReadonlyArray<ViewMapFile>): Array<{ file: ViewMapFile; raster: PngRaster; photo: boolean }> {
  const cameraWant = outputs.filter((f): f is MapFile => (MAP_FILES as ReadonlyArray<string>).includes(f));
  const frontWant = outputs.filter((f): f is FrontMapFile => (FRONT_MAP_FILES as ReadonlyArray<string>).includes(f)).map(cameraTwin);
  const out: Array<{ file: ViewMapFile; raster: PngRaster; photo: boolean }> = mapRasters(maps.camera, { crop, outputs: cameraWant });
  for (const r of mapRasters(maps.front, { outputs: frontWant })) out.push({ ...r, file: `front-${r.file}` as FrontMapFile });
  return out;
}

/** The camera-view file a front-view file mirrors ('front-depth.png' → 'depth.png'). */
function cameraTwin(f: FrontMapFile): MapFile {
  return f.slice('front-'.length) as MapFile;
}
