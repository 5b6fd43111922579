// HEIC (HEVC-coded HEIF, the iPhone's default) → upright 8-bit sRGB RGB, like decodeImage does for the other
// formats (docs/input-formats.md). sharp's prebuilt libvips has no HEVC decoder, so the pixels come from libheif
// compiled to WebAssembly (npm `libheif-js`, LGPL-3.0, loaded on the first HEIC only); sharp then does the rest.
//
// Orientation: libheif applies HEIF's own transforms (`irot` / `imir`), which is how iPhones store a turned
// photo. Files without them but with an EXIF Orientation tag (as `heif-enc` writes from a turned JPEG) get the
// EXIF orientation applied, as for a JPEG. When both are present they describe the same turn, so EXIF is not
// applied a second time.
import { createRequire } from 'node:module';
import sharp from 'sharp';
import { ErrorCodes, ReconError } from './errors.js';
import type { DecodedImage } from './types.js';

// ---------------------------------------------------------------------------------------------------------
// ISO-BMFF boxes: just enough to find the brands, HEIF transforms and the EXIF item.

interface Box {
  type: string;
  /** Payload start and end (after the header). */
  start: number;
  end: number;
}

function u16(b: Uint8Array, i: number): number {
  return (b[i] << 8) | b[i + 1];
}

function u32(b: Uint8Array, i: number): number {
  return ((b[i] << 24) | (b[i + 1] << 16) | (b[i + 2] << 8) | b[i + 3]) >>> 0;
}

function uint(b: Uint8Array, i: number, size: number): number {
  let v = 0;
  for (let k = 0; k < size; k++) v = v * 256 + b[i + k];
  return v;
}

function fourcc(b: Uint8Array, i: number): string {
  return String.fromCharCode(b[i], b[i + 1], b[i + 2], b[i + 3]);
}

/** The boxes between start and end (not recursive); stops at the first malformed one. */
export function readBoxes(b: Uint8Array, start = 0, end = b.length): Box[] {
  const boxes: Box[] = [];
  let i = start;
  while (i + 8 <= end) {
    let size = u32(b, i);
    const type = fourcc(b, i + 4);
    let header = 8;
    if (size === 1) {
      if (i + 16 > end) break;
      size = uint(b, i + 8, 8);
      header = 16;
    } else if (size === 0) size = end - i;
    if (size < header || i + size > end) break;
    boxes.push({ type, start: i + header, end: i + size });
    i += size;
  }
  return boxes;
}

const child = (b: Uint8Array, box: Box | undefined, type: string, skip = 0): Box | undefined =>
  box ? readBoxes(b, box.start + skip, box.end).find((x) => x.type === type) : undefined;

const HEVC_BRANDS = new Set(['heic', 'heix', 'hevc', 'hevx', 'heim', 'heis', 'hevm', 'hevs']);
const GENERIC_BRANDS = new Set(['mif1', 'msf1', 'mif2', 'miaf']);

/** HEIF holding HEVC: an HEVC brand, or a generic HEIF brand (no AVIF brand) whose properties hold an `hvcC`. */
export function isHevcHeif(b: Uint8Array): boolean {
  if (b.length < 16 || fourcc(b, 4) !== 'ftyp') return false;
  const ftypEnd = Math.min(b.length, u32(b, 0));
  const brands = [fourcc(b, 8)];
  for (let i = 16; i + 4 <= ftypEnd; i += 4) brands.push(fourcc(b, i));
  if (brands.some((x) => x === 'avif' || x === 'avis')) return false;
  if (brands.some((x) => HEVC_BRANDS.has(x))) return true;
  if (!brands.some((x) => GENERIC_BRANDS.has(x))) return false;
  const ipco = child(b, child(b, readBoxes(b).find((x) => x.type === 'meta'), 'iprp', 4), 'ipco');
  return ipco !== undefined && readBoxes(b, ipco.start, ipco.end).some((x) => x.type === 'hvcC');
}

/** Does the file carry HEIF rotation/mirroring properties (which libheif applies)? */
function hasHeifTransforms(b: Uint8Array, meta: Box): boolean {
  const ipco = child(b, child(b, meta, 'iprp', 4), 'ipco');
  return ipco !== undefined && readBoxes(b, ipco.start, ipco.end).some((x) => x.type === 'irot' || x.type === 'imir');
}

/** The bytes of the first item of type `Exif`, or undefined. */
function exifItem(b: Uint8Array, meta: Box): Uint8Array | undefined {
  const iinf = child(b, meta, 'iinf', 4);
  const iloc = child(b, meta, 'iloc', 4);
  if (!iinf || !iloc) return undefined;
  const iinfVersion = b[iinf.start];
  const entriesStart = iinf.start + 4 + (iinfVersion === 0 ? 2 : 4);
  let exifId: number | undefined;
  for (const infe of readBoxes(b, entriesStart, iinf.end)) {
    const v = b[infe.start];
    if (infe.type !== 'infe' || v < 2) continue;
    const idSize = v === 2 ? 2 : 4;
    const id = uint(b, infe.start + 4, idSize);
    if (fourcc(b, infe.start + 4 + idSize + 2) === 'Exif') exifId = id;
  }
  if (exifId === undefined) return undefined;

  const v = b[iloc.start];
  let i = iloc.start + 4;
  const offsetSize = b[i] >> 4;
  const lengthSize = b[i] & 15;
  const baseOffsetSize = b[i + 1] >> 4;
  const indexSize = v === 1 || v === 2 ? b[i + 1] & 15 : 0;
  i += 2;
  const count = v < 2 ? u16(b, i) : u32(b, i);
  i += v < 2 ? 2 : 4;
  for (let n = 0; n < count && i < iloc.end; n++) {
    const id = v < 2 ? u16(b, i) : u32(b, i);
    i += v < 2 ? 2 : 4;
    const method = v === 1 || v === 2 ? u16(b, i) & 15 : 0;
    if (v === 1 || v === 2) i += 2;
    i += 2; // data_reference_index
    const base = uint(b, i, baseOffsetSize);
    i += baseOffsetSize;
    const extents = u16(b, i);
    i += 2;
    const parts: Uint8Array[] = [];
    for (let e = 0; e < extents; e++) {
      i += indexSize;
      const off = uint(b, i, offsetSize);
      i += offsetSize;
      const len = uint(b, i, lengthSize);
      i += lengthSize;
      if (id !== exifId) continue;
      // Construction method 0: offsets in the file; 1: in the meta box's idat.
      const idat = method === 1 ? child(b, meta, 'idat', 4) : undefined;
      const from = (method === 1 ? (idat?.start ?? b.length) : 0) + base + off;
      parts.push(b.subarray(from, Math.min(b.length, from + len)));
    }
    if (id === exifId) {
      if (method > 1 || parts.length === 0) return undefined;
      return parts.length === 1 ? parts[0] : Buffer.concat(parts);
    }
  }
  return undefined;
}

/** The Orientation tag (0x0112) of IFD0 in a HEIF Exif item (4-byte header offset, then TIFF), or 1. */
export function exifOrientation(exif: Uint8Array): number {
  if (exif.length < 4) return 1;
  const t = 4 + u32(exif, 0);
  if (t + 8 > exif.length) return 1;
  const le = exif[t] === 0x49 && exif[t + 1] === 0x49;
  if (!le && !(exif[t] === 0x4d && exif[t + 1] === 0x4d)) return 1;
  const r16 = (i: number) => (le ? exif[i] | (exif[i + 1] << 8) : u16(exif, i));
  const r32 = (i: number) => (le ? (exif[i] | (exif[i + 1] << 8) | (exif[i + 2] << 16) | (exif[i + 3] << 24)) >>> 0 : u32(exif, i));
  const ifd = t + r32(t + 4);
  if (ifd + 2 > exif.length) return 1;
  const n = r16(ifd);
  for (let k = 0; k < n; k++) {
    const e = ifd + 2 + k * 12;
    if (e + 12 > exif.length) break;
    if (r16(e) === 0x0112) {
      const o = r16(e + 8);
      return o >= 1 && o <= 8 ? o : 1;
    }
  }
  return 1;
}

/**
 * The EXIF orientation to apply on top of what libheif already did: the file's EXIF tag when the file has no
 * HEIF transform of its own, else 1.
 */
export function heicOrientation(b: Uint8Array): number {
  const meta = readBoxes(b).find((x) => x.type === 'meta');
  if (!meta || hasHeifTransforms(b, meta)) return 1;
  const exif = exifItem(b, meta);
  return exif ? exifOrientation(exif) : 1;
}

/**
 * sharp operations that turn a stored image upright for an EXIF orientation (what libvips' autorot does):
 * sharp mirrors before it rotates, so transpose (5) is rotate 90° + flip and transverse (7) rotate 90° + flop.
 */
export function orientationOps(o: number): { rotate: number; flip: boolean; flop: boolean } {
  switch (o) {
    case 2: return { rotate: 0, flip: false, flop: true };
    case 3: return { rotate: 180, flip: false, flop: false };
    case 4: return { rotate: 0, flip: true, flop: false };
    case 5: return { rotate: 90, flip: true, flop: false };
    case 6: return { rotate: 90, flip: false, flop: false };
    case 7: return { rotate: 90, flip: false, flop: true };
    case 8: return { rotate: 270, flip: false, flop: false };
    default: return { rotate: 0, flip: false, flop: false };
  }
}

// ---------------------------------------------------------------------------------------------------------
// Decoding

interface HeifImage {
  get_width(): number;
  get_height(): number;
  is_primary(): boolean;
  has_alpha_channel(): boolean;
  display(target: { data: Uint8ClampedArray; width: number; height: number }, done: (r: { data: Uint8ClampedArray } | null) => void): void;
  free(): void;
}
interface LibHeif {
  HeifDecoder: new () => { decode(bytes: Uint8Array): HeifImage[]; decoder: { delete(): void } };
}

let libheif: LibHeif | undefined;
function loadLibheif(): LibHeif {
  // The WebAssembly build with the .wasm inlined; a few MB, so only loaded once a HEIC arrives.
  libheif ??= createRequire(import.meta.url)('libheif-js/wasm-bundle') as LibHeif;
  return libheif;
}

const fmt = (n: number): string => n.toLocaleString('en-US');

function failed(source: string, bytes: number, why: string, cause?: unknown): ReconError {
  return new ReconError(
    ErrorCodes.IMAGE_DECODE_FAILED,
    `Could not decode ${source} (HEIC, ${fmt(bytes)} bytes): ${why}`,
    'Copy the photo again (an interrupted transfer leaves a truncated file), or export it as JPEG from the phone or an image editor.',
    { format: 'heic', ...(cause ? { cause: cause instanceof Error ? cause.message : String(cause) } : {}) },
    cause,
  );
}

/** Decode a HEIC file's primary image (see the header for orientation). `source` names it in messages. */
export async function decodeHeic(bytes: Uint8Array, source: string, maxPixels: number): Promise<DecodedImage> {
  let images: HeifImage[];
  let dispose = () => {};
  try {
    const decoder = new (loadLibheif().HeifDecoder)();
    images = decoder.decode(bytes);
    dispose = () => {
      for (const im of images) im.free();
      decoder.decoder.delete();
    };
  } catch (e) {
    throw failed(source, bytes.byteLength, 'its HEIF structure is damaged', e);
  }
  try {
    const image = images.find((im) => im.is_primary()) ?? images[0];
    if (!image) throw failed(source, bytes.byteLength, 'it holds no image (the file is truncated or corrupt)');
    const width = image.get_width();
    const height = image.get_height();
    if (width * height > maxPixels) {
      const capital = source.charAt(0).toUpperCase() + source.slice(1);
      throw new ReconError(
        ErrorCodes.IMAGE_TOO_LARGE,
        `${capital} is ${width} × ${height} = ${fmt(width * height)} pixels, more than the limit of ${fmt(maxPixels)} pixels`,
        `Downscale the photo (a face needs far fewer pixels), or raise the limit with the maxPixels option / --max-pixels ${width * height}.`,
        { width, height, pixels: width * height, maxPixels },
      );
    }
    const rgba = await new Promise<Uint8ClampedArray>((resolve, reject) => {
      image.display({ data: new Uint8ClampedArray(width * height * 4), width, height }, (r) =>
        r ? resolve(r.data) : reject(failed(source, bytes.byteLength, 'the HEVC image data is damaged or truncated')),
      );
    });
    const orientation = heicOrientation(bytes);
    const ops = orientationOps(orientation);
    let pipeline = sharp(Buffer.from(rgba.buffer, rgba.byteOffset, rgba.byteLength), { raw: { width, height, channels: 4 } });
    // Rotation on raw input needs its own pipeline step so the flips come first, as in ops.
    if (ops.flip) pipeline = pipeline.flip();
    if (ops.flop) pipeline = pipeline.flop();
    if (ops.rotate) pipeline = pipeline.rotate(ops.rotate);
    const { data, info } = await pipeline
      .flatten({ background: { r: 255, g: 255, b: 255 } }) // as decode.ts: transparent → white
      .toColourspace('srgb')
      .raw()
      .toBuffer({ resolveWithObject: true });
    return {
      data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
      width: info.width,
      height: info.height,
      format: 'heic',
      orientation,
      storedWidth: width,
      storedHeight: height,
      sourceChannels: image.has_alpha_channel() ? 4 : 3,
      sourceSpace: 'srgb',
      sourceBitDepth: 8,
    };
  } finally {
    dispose();
  }
}
