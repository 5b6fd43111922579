// The maps thread (face-images.ts): renders one face's maps from its crop and crop-space points, and encodes
// every wanted PNG here, start to finish, while the calling thread exports the mesh and draws the overlay.
import { parentPort } from 'node:worker_threads';
import type { Vec3 } from '../types.js';
import type { Affine } from '../geometry.js';
import { buildFaceMesh } from '../mesh/build.js';
import type { ThreadReply } from '../../util/request-thread.js';
import { mapRasters, renderMaps, type DepthScale, type MapFile } from './maps.js';
import { encodePngSync } from './png.js';

export interface MapsRequest {
  id: number;
  size: number;
  /** Image pixels → crop pixels. */
  toCrop: Affine;
  imageSize: { width: number; height: number };
  /** The photo warped into the crop (size² × 3), when crop.png or the structure map's detail layer needs it. */
  crop?: Uint8Array;
  cropPoints: Vec3[];
  detail: number;
  outputs: MapFile[];
  compressionLevel?: number;
}

export interface MapsReply {
  files: Partial<Record<MapFile, Uint8Array>>;
  depthScale: DepthScale;
  /** Milliseconds in the thread: rendering, then encoding. */
  timings: { render: number; encode: number };
}

parentPort?.on('message', (req: MapsRequest) => {
  try {
    const t0 = performance.now();
    const mesh = buildFaceMesh(req.cropPoints);
    const photo = req.crop ? { imageSize: req.imageSize, toCrop: req.toCrop, crop: req.crop } : undefined;
    const maps = renderMaps(mesh, req.size, photo, { detail: req.detail, outputs: req.outputs });
    const t1 = performance.now();
    const files: Partial<Record<MapFile, Uint8Array>> = {};
    const transfer: ArrayBuffer[] = [];
    for (const { file, raster, photo: isPhoto } of mapRasters(maps, { crop: req.crop, outputs: req.outputs })) {
      const png = encodePngSync(raster, { compressionLevel: req.compressionLevel, photo: isPhoto });
      files[file] = png;
      // encodePngSync's buffers are unpooled (png.ts), so they can be handed over.
      transfer.push(png.buffer as ArrayBuffer);
    }
    const reply: ThreadReply<MapsReply> = { id: req.id, ok: { files, depthScale: maps.depthScale, timings: { render: t1 - t0, encode: performance.now() - t1 } } };
    parentPort!.postMessage(reply, transfer);
  } catch (e) {
    const reply: ThreadReply<MapsReply> = { id: req.id, error: e instanceof Error ? (e.stack ?? e.message) : String(e) };
    parentPort!.postMessage(reply);
  }
});
