// The frame thread: parses and checks big text frames (frames.ts) and decodes their base64 uploads, so a
// 32 MiB frame costs the daemon's event loop a hand-over instead of half a second of parsing.
import { parentPort } from 'node:worker_threads';
import type { ThreadReply } from '../util/request-thread.js';
import { decodeFrame, extractUploads, type DecodedFrame, type FrameLimits } from './frames.js';

export interface FrameRequest {
  id: number;
  /** UTF-8 text of the frame (ws has checked it is valid UTF-8). */
  bytes: Uint8Array;
  limits: FrameLimits;
}

export type FrameReply = DecodedFrame;

parentPort?.on('message', (req: FrameRequest) => {
  try {
    const text = Buffer.from(req.bytes.buffer, req.bytes.byteOffset, req.bytes.byteLength).toString('utf8');
    const frame = decodeFrame(text, req.limits);
    extractUploads(frame);
    const transfer = [...frame.uploads.values()].map((u) => u.buffer as ArrayBuffer);
    const reply: ThreadReply<FrameReply> = { id: req.id, ok: frame };
    parentPort!.postMessage(reply, transfer);
  } catch (e) {
    const reply: ThreadReply<FrameReply> = { id: req.id, error: e instanceof Error ? e.message : String(e) };
    parentPort!.postMessage(reply);
  }
});
