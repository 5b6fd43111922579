// Text frames → checked JSON-RPC requests (frames.ts). Small frames are decoded right here; big ones (uploads)
// on the frame thread, one at a time, so the event loop stays free for every other client while a 32 MiB
// frame is parsed. Without the thread (not built, or it keeps dying) big frames are decoded here too.
import { lazyRequestThread } from '../util/request-thread.js';
import type { FrameReply, FrameRequest } from './frame-thread.js';
import { decodeFrame, errorItem, type DecodedFrame, type FrameLimits } from './frames.js';

export interface FrameReaderOptions extends FrameLimits {
  /** Frames at least this many bytes go to the frame thread. */
  offThreadBytes: number;
}

export class FrameReader {
  private readonly thread = lazyRequestThread<FrameRequest, FrameReply>('server/frame-thread.js', 'recon-frames');

  constructor(private readonly o: FrameReaderOptions) {}

  private get limits(): FrameLimits {
    return { maxBatch: this.o.maxBatch, maxJsonDepth: this.o.maxJsonDepth, maxIdLength: this.o.maxIdLength };
  }

  async read(data: Buffer): Promise<DecodedFrame> {
    if (data.byteLength >= this.o.offThreadBytes) {
      const thread = this.thread();
      if (thread) {
        // ws hands over a buffer of its own for a big frame; anything else is copied once so it can move.
        const owned = data.byteOffset === 0 && data.byteLength === data.buffer.byteLength;
        const bytes = owned ? new Uint8Array(data.buffer, 0, data.byteLength) : new Uint8Array(data);
        const reply = await thread.request({ bytes, limits: this.limits }, [bytes.buffer as ArrayBuffer]).catch(() => undefined);
        if (reply) return reply;
        // The thread died mid-frame, and the bytes went with it.
        if (owned) return { batch: false, items: [errorItem(null, 'INTERNAL_ERROR', 'The frame could not be read; send it again')], uploads: new Map() };
      }
    }
    return decodeFrame(data.toString('utf8'), this.limits);
  }

  async close(): Promise<void> {
    if (this.thread.running()) await this.thread()?.stop();
  }
}
