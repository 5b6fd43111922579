// PNG writer for the outputs: 8-bit grey, 16-bit grey and 8-bit RGB rasters, each row Sub-filtered, then
// deflated by Node's zlib with the run-length strategy. Why not sharp: for images of 256²–1024² its pipeline
// set-up costs as much as the encode (5.7 ms for an uncompressed 512² RGB PNG), and it offers no deflate
// strategy; Sub + Z_RLE measured 2–3× faster than sharp's fastest compressed setting with files 20–30 %
// smaller (docs/benchmarks.md). Sub makes smooth gradients small numbers; RLE then codes them with Huffman
// and still collapses the long zero runs of masked backgrounds.
import { promisify } from 'node:util';
import zlib from 'node:zlib';
import { invalidOption } from '../errors.js';
import { outputThreads } from './threading.js';

const deflate = promisify(zlib.deflate);

export interface PngRaster {
  /** Rows top to bottom, channels interleaved. Uint16Array → 16-bit samples, Uint8Array → 8-bit. */
  data: Uint8Array | Uint16Array;
  width: number;
  height: number;
  /** 1 = grey, 3 = RGB. */
  channels: 1 | 3;
}

export interface PngOptions {
  /** zlib level 0–9 (default 1). With the RLE strategy the level barely changes size or time. */
  compressionLevel?: number;
  /**
   * Photographic content with no flat areas (the crop, the overlay): Huffman coding only. Run-length matches
   * find almost nothing in photo noise, so it measured ~20 % faster for files 0–3 % larger; the texture (flat
   * padding) and the maps (flat background) keep run-length coding.
   */
  photo?: boolean;
}

const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** PNG bytes of a raster: rows filtered on this thread, deflated on libuv's thread pool (on this thread when its outputs run inline, threading.ts). */
export async function encodePng(img: PngRaster, options: PngOptions = {}): Promise<Buffer> {
  if (outputThreads() === 'inline') return encodePngSync(img, options);
  checkRaster(img, options);
  const filtered = subFilter(img.data, img.width, img.height, img.channels);
  return assemble(img, await deflate(filtered, deflateOptions(filtered, options)));
}

/** The same bytes, all on the calling thread: for a thread that has nothing else to do meanwhile (maps-thread.ts). */
export function encodePngSync(img: PngRaster, options: PngOptions = {}): Buffer {
  checkRaster(img, options);
  const filtered = subFilter(img.data, img.width, img.height, img.channels);
  return assemble(img, zlib.deflateSync(filtered, deflateOptions(filtered, options)));
}

function checkRaster(img: PngRaster, options: PngOptions): void {
  const level = options.compressionLevel ?? 1;
  if (!(Number.isInteger(level) && level >= 0 && level <= 9)) throw invalidOption('compressionLevel', 'an integer 0–9', level);
  const { width, height, channels, data } = img;
  if (!(Number.isInteger(width) && width > 0 && Number.isInteger(height) && height > 0)) {
    throw invalidOption('size', 'positive integer width and height', `${width}×${height}`);
  }
  if (data.length !== width * height * channels) throw invalidOption('data', `${width * height * channels} samples`, `${data.length}`);
}

function deflateOptions(filtered: Buffer, options: PngOptions): zlib.ZlibOptions {
  return {
    level: options.compressionLevel ?? 1,
    strategy: options.photo ? zlib.constants.Z_HUFFMAN_ONLY : zlib.constants.Z_RLE,
    // One output chunk for the whole stream: with zlib's default 16 KB chunks the async deflate hops back to
    // the main thread per chunk, which measured about as costly as the compression itself.
    chunkSize: Math.max(zlib.constants.Z_MIN_CHUNK, filtered.length + 1024),
  };
}

/**
 * Signature, IHDR, one IDAT and IEND in one unpooled buffer, so a thread can hand it over without a copy (a
 * pooled Buffer's memory is shared with other Buffers and cannot be transferred).
 */
function assemble(img: PngRaster, idat: Uint8Array): Buffer {
  const out = Buffer.allocUnsafeSlow(SIGNATURE.length + 25 + 12 + idat.length + 12);
  SIGNATURE.copy(out, 0);
  let o = SIGNATURE.length;
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(img.width, 0);
  ihdr.writeUInt32BE(img.height, 4);
  ihdr[8] = img.data instanceof Uint16Array ? 16 : 8;
  ihdr[9] = img.channels === 1 ? 0 : 2; // colour type: greyscale / truecolour
  // bytes 10–12: deflate, adaptive filtering method 0, no interlace
  o = putChunk(out, o, 'IHDR', ihdr);
  o = putChunk(out, o, 'IDAT', idat);
  putChunk(out, o, 'IEND', new Uint8Array(0));
  return out;
}

/** Filter byte 1 (Sub) on every row: each byte minus the byte one pixel to its left; 16-bit samples big-endian. */
function subFilter(data: Uint8Array | Uint16Array, width: number, height: number, channels: number): Buffer {
  if (data instanceof Uint16Array) {
    // Big-endian bytes first, then the same byte filter with 2 bytes per pixel (grey16) or 6 (RGB16).
    const bytes = new Uint8Array(data.length * 2);
    for (let i = 0; i < data.length; i++) {
      bytes[2 * i] = data[i] >> 8;
      bytes[2 * i + 1] = data[i] & 255;
    }
    return subFilterBytes(bytes, width * channels * 2, height, channels * 2);
  }
  return subFilterBytes(data, width * channels, height, channels);
}

// One loop per pixel width, each keeping the previous pixel in locals: the general byte loop measured
// 2–3× slower (two loads per byte, and one call site seeing Buffers and Uint8Arrays).
function subFilterBytes(src: Uint8Array, stride: number, height: number, bpp: number): Buffer {
  const out = Buffer.allocUnsafe(height * (stride + 1));
  let o = 0;
  let s = 0;
  for (let y = 0; y < height; y++) {
    out[o++] = 1;
    if (bpp === 3) {
      let p0 = 0;
      let p1 = 0;
      let p2 = 0;
      for (let i = 0; i < stride; i += 3) {
        const a = src[s];
        const b = src[s + 1];
        const c = src[s + 2];
        out[o] = a - p0;
        out[o + 1] = b - p1;
        out[o + 2] = c - p2;
        p0 = a;
        p1 = b;
        p2 = c;
        o += 3;
        s += 3;
      }
    } else if (bpp === 1) {
      let p = 0;
      for (let i = 0; i < stride; i++) {
        const a = src[s++];
        out[o++] = a - p;
        p = a;
      }
    } else {
      for (let i = 0; i < stride; i++) out[o++] = i < bpp ? src[s + i] : src[s + i] - src[s + i - bpp];
      s += stride;
    }
  }
  return out;
}

/** Length, type, body and CRC of one chunk at `o`; returns the offset after it. */
function putChunk(out: Buffer, o: number, type: string, body: Uint8Array): number {
  out.writeUInt32BE(body.length, o);
  out.write(type, o + 4, 'latin1');
  out.set(body, o + 8);
  const end = o + 8 + body.length;
  out.writeUInt32BE(zlib.crc32(out.subarray(o + 4, end)) >>> 0, end);
  return end + 4;
}
