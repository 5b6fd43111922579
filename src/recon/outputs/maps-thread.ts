// The maps thread (face-images.ts): renders one face's maps of both views from its crop and points, and
// encodes every wanted PNG here, start to finish, while the calling thread exports the mesh and draws the overlay.
import { parentPort } from 'node:worker_threads';
import type { ThreadReply } from '../../util/request-thread.js';
import type { DepthScale } from './maps.js';
import { encodePngSync } from './png.js';
import { renderViewMaps, viewMapRasters, type ViewMapFile, type ViewMapsInput } from './view-maps.js';

export interface MapsRequest extends ViewMapsInput {
  id: number;
  compressionLevel?: number;
}

export interface MapsReply {
  files: Partial<Record<ViewMapFile, Uint8Array>>;
  depthScale: DepthScale;
  frontDepthScale: DepthScale;
  /** The front view's area shares by where its detail comes from (maps.ts FaceMaps.shares). */
  frontShares?: { seen: number; mirrored: number; inpainted: number };
  /** Milliseconds in the thread: rendering, then encoding. */
  timings: { render: number; encode: number };
}

parentPort?.on('message', (req: MapsRequest) => {
  try {
    const t0 = performance.now();
    const maps = renderViewMaps(req);
    const t1 = performance.now();
    const files: Partial<Record<ViewMapFile, Uint8Array>> = {};
    const transfer: ArrayBuffer[] = [];
    for (const { file, raster, photo } of viewMapRasters(maps, req.crop, req.outputs)) {
      const png = encodePngSync(raster, { compressionLevel: req.compressionLevel, photo });
      files[file] = png;
      // encodePngSync's buffers are unpooled (png.ts), so they can be handed over.
      transfer.push(png.buffer as ArrayBuffer);
    }
    const reply: ThreadReply<MapsReply> = {
      id: req.id,
      ok: { files, depthScale: maps.camera.depthScale, frontDepthScale: maps.front.depthScale, frontShares: maps.front.shares, timings: { render: t1 - t0, encode: performance.now() - t1 } },
    };
    parentPort!.postMessage(reply, transfer);
  } catch (e) {
    const reply: ThreadReply<MapsReply> = { id: req.id, error: e instanceof Error ? (e.stack ?? e.message) : String(e) };
    parentPort!.postMessage(reply);
  }
});
