// Photo decoding: file path or bytes → upright 8-bit sRGB RGB pixels (docs/input-formats.md).
//
// One sharp pipeline per image: header (metadata) first, so an oversized image is refused before any pixel is
// decoded, then EXIF auto-orientation, alpha flattened onto white, conversion to sRGB, raw interleaved output.
// Formats are identified by their magic number before sharp sees the bytes, so that known formats we do not
// decode get a clear UNSUPPORTED_FORMAT and every other failure a clear IMAGE_DECODE_FAILED; no raw
// sharp/libvips error reaches the caller (its text is kept in `details.cause`).
import { constants } from 'node:fs';
import { open, readlink, realpath, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import { ErrorCodes, invalidOption, ReconError } from './errors.js';
import { decodeHeic, isHevcHeif } from './decode-heic.js';
import type { DecodedImage } from './types.js';

/**
 * Default limit on decoded pixels (width × height of the stored image): 50 megapixels, e.g. 8660 × 5773.
 * Output is 3 bytes per pixel, so the limit also caps the decoded buffer at 150 MB. Raise it with
 * `maxPixels` (CLI flag `--max-pixels`).
 */
export const DEFAULT_MAX_PIXELS = 50_000_000;

export interface DecodeOptions {
  /** Refuse images with more pixels than this (stored width × height). Integer ≥ 1; default DEFAULT_MAX_PIXELS. */
  maxPixels?: number;
}

// The libvips operation cache only pays off when the same operation runs again on the same input; a daemon
// decodes a different photo each time, so the cache would only hold on to old images (up to 50 MB / 100
// operations). Turned off process-wide. Concurrency is left at sharp's default (1 thread per image on glibc
// Linux): a 1080p JPEG decodes in ~10–12 ms either way on a 2-core machine, and the other core stays free for
// inference.
sharp.cache(false);

/** Containers sharp reports that we decode (metadata.format values). */
const DECODED_FORMATS = new Set(['jpeg', 'png', 'webp', 'tiff', 'gif', 'heif']);

const FORMAT_NAMES: Record<string, string> = {
  jpeg: 'JPEG',
  png: 'PNG',
  webp: 'WebP',
  tiff: 'TIFF',
  gif: 'GIF',
  heif: 'AVIF',
};

function heifSupported(): boolean {
  return sharp.format.heif?.input?.buffer === true;
}

/** Human list of the formats this build decodes, e.g. "JPEG, PNG, WebP, TIFF, GIF and AVIF". */
export function supportedFormatList(): string {
  const names = ['JPEG', 'PNG', 'WebP', 'TIFF', 'GIF (first frame)', 'HEIC'];
  if (heifSupported()) names.push('AVIF');
  return `${names.slice(0, -1).join(', ')} and ${names[names.length - 1]}`;
}

const CONVERT_HINT = (): string => 'Convert the photo to JPEG or PNG with any image editor or converter, then try again.';

/** Largest photo file read, bytes: its size is checked on the open file before anything is read. */
export const MAX_INPUT_BYTES = 256 * 1024 * 1024;
/** Bytes read first: the format is checked on these before the rest of a file is read. */
export const SNIFF_BYTES = 4096;
/** The rest is read in pieces of this size, with a cancel check between them. */
const READ_CHUNK_BYTES = 8 * 1024 * 1024;

export interface ReadInputOptions {
  /** Refuse a path that is itself a symbolic link (files from a watched folder: a planted link must not lead out). */
  noFollow?: boolean;
  /** The file must really lie inside this folder, after every link (checked on the opened file where the system can say). */
  within?: string;
  /** Largest file read, bytes (default MAX_INPUT_BYTES). */
  maxBytes?: number;
  /** Stops a read in progress (between pieces). */
  signal?: AbortSignal;
}

/** Bytes read from a file keep its path, so messages still name the file ("the file /x/a.jpg"). */
const labels = new WeakMap<Uint8Array, string>();

/** Mark `bytes` as read from `file` (readInput does this). */
export function labelInput(bytes: Uint8Array, file: string): Uint8Array {
  labels.set(bytes, file);
  return bytes;
}

/** The file an input names or was read from; undefined for bytes of unknown origin (uploads). */
export function inputFile(input: string | Uint8Array): string | undefined {
  return typeof input === 'string' ? input : labels.get(input);
}

/** Where an open descriptor really points (Linux); undefined where the system cannot say. */
async function openedPath(fd: number): Promise<string | undefined> {
  if (process.platform !== 'linux') return undefined;
  return readlink(`/proc/self/fd/${fd}`).catch(() => undefined);
}

function isInsideDir(dir: string, p: string): boolean {
  return p.startsWith(dir.endsWith(path.sep) ? dir : dir + path.sep);
}

/**
 * Read a photo: a path is read from disk (relative to the working directory); bytes are returned as they are.
 * Only a regular file is read, and only as many bytes as its size says (files under /proc say 0 and are
 * refused); its first SNIFF_BYTES are checked to be an image format before the rest is read, so a big file
 * that is not an image costs a few kilobytes, never a full read.
 */
export async function readInput(input: string | Uint8Array, options: ReadInputOptions = {}): Promise<Uint8Array> {
  if (input instanceof Uint8Array) return input;
  if (typeof input !== 'string' || input.length === 0) {
    throw invalidOption('input', 'a file path or the image bytes (Uint8Array)', input);
  }
  const resolved = path.resolve(input);
  const shown = resolved === input ? input : `${input} (resolved to ${resolved})`;
  const maxBytes = options.maxBytes ?? MAX_INPUT_BYTES;
  let handle: FileHandle;
  try {
    // O_NONBLOCK: opening a FIFO must not wait for a writer (it is refused just below).
    handle = await open(resolved, constants.O_RDONLY | constants.O_NONBLOCK | (options.noFollow ? constants.O_NOFOLLOW : 0));
  } catch (e) {
    if (options.noFollow && (e as NodeJS.ErrnoException).code === 'ELOOP') {
      throw new ReconError(
        ErrorCodes.IMAGE_DECODE_FAILED,
        `Expected an image file but ${shown} is a symbolic link, which is not followed here`,
        'Put the photo itself in the watched folder, not a link to it.',
        { path: resolved },
      );
    }
    throw fileError(e, shown);
  }
  try {
    const st = await handle.stat();
    if (st.isDirectory()) {
      throw new ReconError(
        ErrorCodes.IMAGE_DECODE_FAILED,
        `Expected an image file but ${shown} is a directory`,
        'Pass the path of a photo file, not of the folder that holds it; for every photo in a folder, run `recon-daemon batch <folder> -o <out>`.',
        { path: resolved },
      );
    }
    if (!st.isFile()) {
      // FIFOs, devices and sockets: reading them could block or never end.
      throw new ReconError(
        ErrorCodes.IMAGE_DECODE_FAILED,
        `Expected an image file but ${shown} is not a regular file (a device, pipe or socket)`,
        'Pass the path of a photo file, or send the image bytes instead.',
        { path: resolved },
      );
    }
    if (options.within !== undefined) {
      const root = await realpath(options.within).catch(() => path.resolve(options.within!));
      const real = (await openedPath(handle.fd)) ?? (await realpath(resolved).catch(() => resolved));
      if (!isInsideDir(root, real)) {
        throw new ReconError(
          ErrorCodes.IMAGE_DECODE_FAILED,
          `Expected an image file inside ${options.within} but ${shown} leads outside it`,
          'Put the photo itself in the watched folder, not a link to it.',
          { path: resolved },
        );
      }
    }
    if (st.size === 0) {
      throw new ReconError(
        ErrorCodes.IMAGE_DECODE_FAILED,
        `Could not decode the file ${shown}: the file is empty (0 bytes), or a system file whose size is not known (such as one under /proc)`,
        'Copy or download the photo again; an interrupted transfer can leave an empty file.',
        { bytes: 0 },
      );
    }
    // A buffer of its own (not Node's shared pool), so it can move to another thread without a copy.
    const bytes = new Uint8Array(Math.min(st.size, maxBytes));
    let at = 0;
    const readTo = async (end: number): Promise<void> => {
      while (at < end) {
        if (options.signal?.aborted) throw new ReconError(ErrorCodes.CANCELLED, 'The reconstruction was cancelled', 'Start it again if you still need it.');
        const { bytesRead } = await handle.read(bytes, at, Math.min(end - at, READ_CHUNK_BYTES), at);
        if (bytesRead === 0) return; // shorter than its size said: it shrank meanwhile
        at += bytesRead;
      }
    };
    await readTo(Math.min(st.size, SNIFF_BYTES));
    // What the file is, first: a big file that is no image at all says so. Image formats (HEIC among the
    // ones sharp does not read) are decodeImage's to judge, on the whole file.
    const head = sniffFormat(bytes.subarray(0, at));
    if (head.kind === 'unknown') refuseNonImage(head, `the file ${input}`, st.size);
    if (st.size > maxBytes) {
      throw new ReconError(
        ErrorCodes.IMAGE_TOO_LARGE,
        `The file ${shown} is ${fmt(st.size)} bytes, more than the limit of ${fmt(maxBytes)} bytes for one photo`,
        'Downscale the photo or re-save it as a JPEG before reconstructing.',
        { bytes: st.size, maxBytes },
      );
    }
    if (at === Math.min(st.size, SNIFF_BYTES)) await readTo(st.size);
    return labelInput(at === st.size ? bytes : bytes.slice(0, at), input);
  } catch (e) {
    if (e instanceof ReconError) throw e;
    throw fileError(e, shown);
  } finally {
    await handle.close().catch(() => undefined);
  }
}

function fileError(e: unknown, shown: string): ReconError {
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  const text = e instanceof Error ? e.message : String(e);
  if (code === 'ENOENT' || code === 'ENOTDIR') {
    return new ReconError(
      ErrorCodes.FILE_NOT_FOUND,
      `No file at ${shown}`,
      `Check the path for typos; relative paths are resolved against the working directory ${process.cwd()}.`,
      { cause: text },
    );
  }
  if (code === 'EACCES' || code === 'EPERM') {
    return new ReconError(
      ErrorCodes.IMAGE_DECODE_FAILED,
      `Cannot read ${shown}: permission denied`,
      'Make the file readable by the user running recon-daemon, or send the image bytes instead.',
      { cause: text },
    );
  }
  if (code === 'ERR_FS_FILE_TOO_LARGE') {
    return new ReconError(
      ErrorCodes.IMAGE_TOO_LARGE,
      `Cannot read ${shown}: the file is larger than 2 GiB`,
      'Downscale the photo or re-save it as a JPEG before reconstructing.',
      { cause: text },
    );
  }
  return new ReconError(
    ErrorCodes.IMAGE_DECODE_FAILED,
    `Cannot read ${shown}: ${code ?? text}`,
    'Check that the file exists and is readable, or send the image bytes instead.',
    { cause: text },
  );
}

// ---------------------------------------------------------------------------------------------------------
// Format sniffing

/** What the first bytes of a file say it is. */
export type SniffedFormat =
  | { kind: 'decodable'; format: 'jpeg' | 'png' | 'webp' | 'tiff' | 'gif' | 'heif' }
  | { kind: 'unsupported'; name: string; hint?: string }
  | { kind: 'unknown'; what: string };

function ascii(b: Uint8Array, start: number, end: number): string {
  let s = '';
  for (let i = start; i < Math.min(end, b.length); i++) s += String.fromCharCode(b[i]);
  return s;
}

function startsWith(b: Uint8Array, sig: readonly number[], at = 0): boolean {
  if (b.length < at + sig.length) return false;
  for (let i = 0; i < sig.length; i++) if (b[at + i] !== sig[i]) return false;
  return true;
}

const HEVC_BRANDS = new Set(['heic', 'heix', 'hevc', 'hevx', 'heim', 'heis', 'hevm', 'hevs']);
const AVIF_BRANDS = new Set(['avif', 'avis']);
const HEIF_GENERIC_BRANDS = new Set(['mif1', 'msf1', 'mif2', 'miaf']);
const VIDEO_BRANDS = /^(isom|iso[2-9]|mp4[12]|mp71|avc1|M4V |M4A |f4v |qt {2}|3g[p2][0-9a-z]|dash|MSNV|NDAS)/;

/** Sniff ISO-BMFF ("ftyp" box) files: AVIF, HEIC, and the video/raw containers that share the box format. */
function sniffFtyp(b: Uint8Array): SniffedFormat {
  const boxSize = ((b[0] << 24) | (b[1] << 16) | (b[2] << 8) | b[3]) >>> 0;
  const end = Math.min(b.length, boxSize >= 16 && boxSize <= 4096 ? boxSize : 16);
  const brands = [ascii(b, 8, 12)];
  for (let i = 16; i + 4 <= end; i += 4) brands.push(ascii(b, i, i + 4));
  if (brands.some((x) => AVIF_BRANDS.has(x))) {
    return heifSupported()
      ? { kind: 'decodable', format: 'heif' }
      : { kind: 'unsupported', name: 'AVIF (this build of the image library has no AVIF decoder)' };
  }
  if (brands.some((x) => HEVC_BRANDS.has(x))) return heicUnsupported();
  if (brands.some((x) => HEIF_GENERIC_BRANDS.has(x))) {
    // Plain HEIF: may hold AV1 (decodable) or HEVC (not); metadata tells which.
    return heifSupported() ? { kind: 'decodable', format: 'heif' } : heicUnsupported();
  }
  if (brands[0] === 'crx ') return { kind: 'unsupported', name: 'Canon CR3 camera raw' };
  if (brands[0] === 'jp2 ') return { kind: 'unsupported', name: 'JPEG 2000' };
  const video = brands.find((x) => VIDEO_BRANDS.test(x));
  if (video) {
    return {
      kind: 'unsupported',
      // A known brand only: other bytes of the file are never quoted.
      name: `an MP4/QuickTime video (brand "${video.trim()}"), not a still photo`,
      hint: 'Export a single frame of the video as a JPEG or PNG.',
    };
  }
  return { kind: 'unsupported', name: 'an ISO media file of a kind that is not a still photo' };
}

const HEIC_NAME = 'HEIC (HEVC-coded HEIF, the iPhone default)';
const heicHint = (): string =>
  'Convert the photo to JPEG (on an iPhone: Settings › Camera › Formats › Most Compatible, or share/export it as JPEG).';

function heicUnsupported(): SniffedFormat {
  return { kind: 'unsupported', name: HEIC_NAME, hint: heicHint() };
}

/** Known image (and image-like) formats we do not decode, by signature. */
const UNSUPPORTED_SIGNATURES: { name: string; hint?: string; test: (b: Uint8Array) => boolean }[] = [
  {
    name: 'BMP (Windows bitmap)',
    // "BM" alone is too weak (text can start with it): also require a known DIB header size at offset 14.
    test: (b) => ascii(b, 0, 2) === 'BM' && b.length >= 18 && [12, 16, 40, 52, 56, 64, 108, 124].includes(b[14] | (b[15] << 8)),
  },
  { name: 'PSD (Photoshop document)', hint: 'Export the image from Photoshop as JPEG or PNG.', test: (b) => ascii(b, 0, 4) === '8BPS' },
  { name: 'ICO (Windows icon)', test: (b) => startsWith(b, [0, 0, 1, 0]) && b.length >= 6 && (b[4] | b[5]) !== 0 },
  { name: 'CUR (Windows cursor)', test: (b) => startsWith(b, [0, 0, 2, 0]) && b.length >= 6 && (b[4] | b[5]) !== 0 },
  {
    name: 'JPEG XL',
    test: (b) => startsWith(b, [0xff, 0x0a]) || startsWith(b, [0, 0, 0, 0x0c, 0x4a, 0x58, 0x4c, 0x20, 0x0d, 0x0a, 0x87, 0x0a]),
  },
  {
    name: 'JPEG 2000',
    test: (b) => startsWith(b, [0, 0, 0, 0x0c, 0x6a, 0x50, 0x20, 0x20, 0x0d, 0x0a, 0x87, 0x0a]) || startsWith(b, [0xff, 0x4f, 0xff, 0x51]),
  },
  { name: 'PDF', hint: 'Export the page or picture from the PDF as a JPEG or PNG.', test: (b) => ascii(b, 0, 5) === '%PDF-' },
  { name: 'OpenEXR', test: (b) => startsWith(b, [0x76, 0x2f, 0x31, 0x01]) },
  { name: 'QOI', test: (b) => ascii(b, 0, 4) === 'qoif' },
  { name: 'PNM/PPM (Netpbm)', test: (b) => /^P[1-7]\s/.test(ascii(b, 0, 3)) },
  { name: 'DICOM (medical image)', test: (b) => b.length >= 132 && ascii(b, 128, 132) === 'DICM' },
];

/**
 * Does the text open an SVG document: an optional XML declaration, comments and a doctype, then `<svg`?
 * A scan with indexOf, linear in the text: a backtracking pattern over untrusted text can take minutes.
 */
function startsSvg(lower: string): boolean {
  let i = 0;
  const skipSpace = () => {
    while (i < lower.length && /\s/.test(lower[i])) i++;
  };
  const skipPast = (end: string): boolean => {
    const j = lower.indexOf(end, i);
    if (j < 0) return false;
    i = j + end.length;
    return true;
  };
  if (lower.startsWith('<?xml', i) && !skipPast('>')) return false;
  for (;;) {
    skipSpace();
    if (lower.startsWith('<!--', i)) {
      i += 4;
      if (!skipPast('-->')) return false;
    } else break;
  }
  if (lower.startsWith('<!doctype svg', i) && !skipPast('>')) return false;
  skipSpace();
  if (!lower.startsWith('<svg', i)) return false;
  const next = lower[i + 4];
  return next === '>' || (next !== undefined && /\s/.test(next));
}

/** Bytes of text (UTF-8 or ASCII) rather than binary data? Judged on the first 512 bytes. */
function looksLikeText(b: Uint8Array): boolean {
  const n = Math.min(b.length, 512);
  let printable = 0;
  for (let i = 0; i < n; i++) {
    const c = b[i];
    if (c === 0) return false;
    if (c === 9 || c === 10 || c === 13 || (c >= 32 && c < 127) || c >= 128) printable++;
  }
  return printable / n > 0.95;
}


export function sniffFormat(b: Uint8Array): SniffedFormat {
  // Supported formats.
  if (startsWith(b, [0xff, 0xd8, 0xff])) return { kind: 'decodable', format: 'jpeg' };
  if (startsWith(b, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return { kind: 'decodable', format: 'png' };
  if (ascii(b, 0, 4) === 'RIFF' && ascii(b, 8, 12) === 'WEBP') return { kind: 'decodable', format: 'webp' };
  if (ascii(b, 0, 6) === 'GIF87a' || ascii(b, 0, 6) === 'GIF89a') return { kind: 'decodable', format: 'gif' };
  const head4 = ascii(b, 0, 4);
  if (head4 === 'II*\0' || head4 === 'MM\0*' || head4 === 'II+\0' || head4 === 'MM\0+') {
    return { kind: 'decodable', format: 'tiff' };
  }
  if (ascii(b, 4, 8) === 'ftyp') return sniffFtyp(b);

  for (const u of UNSUPPORTED_SIGNATURES) {
    if (u.test(b)) return { kind: 'unsupported', name: u.name, ...(u.hint ? { hint: u.hint } : {}) };
  }

  if (looksLikeText(b)) {
    const text = new TextDecoder('utf-8', { fatal: false }).decode(b.subarray(0, 4096)).replace(/^\uFEFF/, '').trimStart();
    const lower = text.toLowerCase();
    if (startsSvg(lower) || (lower.startsWith('<?xml') && lower.includes('<svg'))) {
      return { kind: 'unsupported', name: 'SVG (vector drawing, not a photo)' };
    }
    if (lower.startsWith('<!doctype html') || lower.startsWith('<html')) {
      const what = 'an HTML web page, not an image (a download may have saved an error page instead of the photo)';
      return { kind: 'unknown', what };
    }
    // Never quote the text: it may be a secret (a token file, an .env, /proc/self/environ).
    return { kind: 'unknown', what: 'text, not an image' };
  }
  return { kind: 'unknown', what: 'data that does not start with the signature of any image format' };
}

/** Throw the error for anything but a format we decode. Messages never quote the file's contents. */
function refuseNonImage(sniffed: SniffedFormat, source: string, byteLength: number): asserts sniffed is Extract<SniffedFormat, { kind: 'decodable' }> {
  if (sniffed.kind === 'unsupported') {
    throw new ReconError(
      ErrorCodes.UNSUPPORTED_FORMAT,
      `${capitalise(source)} is ${sniffed.name}, which recon-daemon does not decode; supported formats: ${supportedFormatList()}`,
      sniffed.hint ?? CONVERT_HINT(),
      { format: sniffed.name },
    );
  }
  if (sniffed.kind === 'unknown') {
    throw new ReconError(
      ErrorCodes.IMAGE_DECODE_FAILED,
      `Could not decode ${source} (${fmt(byteLength)} bytes): it is ${sniffed.what}`,
      `Pass a photo file (supported: ${supportedFormatList()}).`,
      { bytes: byteLength },
    );
  }
}

// ---------------------------------------------------------------------------------------------------------
// Decoding

const WHITE = { r: 255, g: 255, b: 255 };

const BIT_DEPTH: Record<string, number> = {
  uchar: 8, char: 8, ushort: 16, short: 16, uint: 32, int: 32, float: 32, double: 64, complex: 32, dpcomplex: 64,
};

function validateOptions(options: DecodeOptions | undefined): number {
  if (options === undefined || options === null) return DEFAULT_MAX_PIXELS;
  if (typeof options !== 'object') throw invalidOption('options', 'an object such as { maxPixels }', options);
  const maxPixels = options.maxPixels;
  if (maxPixels === undefined) return DEFAULT_MAX_PIXELS;
  if (typeof maxPixels !== 'number' || !Number.isSafeInteger(maxPixels) || maxPixels < 1) {
    throw invalidOption('maxPixels', 'an integer ≥ 1 (pixels)', maxPixels);
  }
  return maxPixels;
}

function fmt(n: number): string {
  return n.toLocaleString('en-US');
}

function tooLarge(source: string, width: number, height: number, maxPixels: number): ReconError {
  const pixels = width * height;
  return new ReconError(
    ErrorCodes.IMAGE_TOO_LARGE,
    `${capitalise(source)} is ${width} × ${height} = ${fmt(pixels)} pixels, more than the limit of ${fmt(maxPixels)} pixels`,
    `Downscale the photo (a face needs far fewer pixels), or raise the limit with the maxPixels option / --max-pixels ${pixels}.`,
    { width, height, pixels, maxPixels },
  );
}

function capitalise(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

function libvipsText(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).trim();
}

/** Turn a sharp/libvips failure into a ReconError; the library's text is kept in details.cause only. */
function decodeFailure(e: unknown, source: string, format: string, byteLength: number): ReconError {
  const cause = libvipsText(e);
  const name = FORMAT_NAMES[format] ?? format.toUpperCase();
  const what = `${source} (${name}, ${fmt(byteLength)} bytes)`;
  if (/premature end|truncat|unexpected end|end of (file|data|stream)|bad seek|read error|not enough data|unable to parse|Unexpected/i.test(cause)) {
    return new ReconError(
      ErrorCodes.IMAGE_DECODE_FAILED,
      `Could not decode ${what}: the image data ends early or is damaged — the file is truncated or corrupt`,
      'Copy or download the photo again (an interrupted transfer leaves a truncated file), or re-save it from an image editor.',
      { format, cause },
      e,
    );
  }
  return new ReconError(
    ErrorCodes.IMAGE_DECODE_FAILED,
    `Could not decode ${what}: it has a ${name} signature but its contents are corrupt or use a variant the decoder does not read`,
    `Re-save the photo as a standard JPEG or PNG from an image editor and try again (supported: ${supportedFormatList()}).`,
    { format, cause },
    e,
  );
}

/**
 * Decode a photo to upright 8-bit sRGB RGB (3 channels, interleaved). EXIF orientation is applied; greyscale
 * is replicated to RGB, CMYK and embedded ICC profiles are converted to sRGB, alpha is flattened onto white,
 * 16-bit samples are scaled to 8 bits. GIF/WebP animations and multi-page TIFFs give their first frame/page.
 */
export async function decodeImage(input: string | Uint8Array, options?: DecodeOptions): Promise<DecodedImage> {
  const maxPixels = validateOptions(options);
  const bytes = await readInput(input);
  // Starts with "the", so capitalise() never touches a file name.
  const file = inputFile(input);
  const source = file !== undefined ? `the file ${file}` : 'the image data';

  if (bytes.byteLength === 0) {
    throw new ReconError(
      ErrorCodes.IMAGE_DECODE_FAILED,
      `Could not decode ${source}: the file is empty (0 bytes)`,
      'Copy or download the photo again; an interrupted transfer can leave an empty file.',
      { bytes: 0 },
    );
  }

  // HEIC: libheif (WebAssembly) instead of sharp, whose prebuilt libvips has no HEVC decoder.
  if (isHevcHeif(bytes)) return decodeHeic(bytes, source, maxPixels);

  const sniffed = sniffFormat(bytes);
  refuseNonImage(sniffed, source, bytes.byteLength);
  const format = sniffed.format;

  // failOn 'error': refuse truncated data and decoder errors, but accept files libjpeg only warns about
  // (extraneous bytes, the malformed SOS headers of some Samsung phones), which viewers show fine.
  // sequentialRead: top-to-bottom streaming decode, no random-access copy of the whole image.
  let image: sharp.Sharp;
  let meta: sharp.Metadata;
  try {
    image = sharp(bytes, { failOn: 'error', sequentialRead: true, limitInputPixels: maxPixels });
    meta = await image.metadata();
  } catch (e) {
    if (/exceeds pixel limit/i.test(libvipsText(e))) {
      // sharp refuses even the header read once over the limit; read it again without the limit for the message.
      const m = await sharp(bytes, { failOn: 'error', limitInputPixels: false })
        .metadata()
        .catch(() => undefined);
      if (m?.width && m.height) throw tooLarge(source, m.width, m.height, maxPixels);
      throw new ReconError(
        ErrorCodes.IMAGE_TOO_LARGE,
        `${capitalise(source)} has more than the limit of ${fmt(maxPixels)} pixels`,
        'Downscale the photo, or raise the limit with the maxPixels option / --max-pixels.',
        { maxPixels, cause: libvipsText(e) },
      );
    }
    throw decodeFailure(e, source, format, bytes.byteLength);
  }

  if (!DECODED_FORMATS.has(meta.format)) {
    // Defensive: the sniffed signature and the loader libvips picked disagree.
    throw new ReconError(
      ErrorCodes.UNSUPPORTED_FORMAT,
      `${capitalise(source)} was read as ${meta.format}, which recon-daemon does not decode; supported formats: ${supportedFormatList()}`,
      CONVERT_HINT(),
      { format: meta.format },
    );
  }
  if (meta.format === 'heif' && meta.compression === 'hevc') {
    throw new ReconError(
      ErrorCodes.UNSUPPORTED_FORMAT,
      `${capitalise(source)} is ${HEIC_NAME}, which recon-daemon does not decode; supported formats: ${supportedFormatList()}`,
      heicHint(),
      { format: 'heic' },
    );
  }
  const storedWidth = meta.width;
  const storedHeight = meta.height;
  if (storedWidth * storedHeight > maxPixels) throw tooLarge(source, storedWidth, storedHeight, maxPixels);

  let out: { data: Buffer; info: sharp.OutputInfo };
  try {
    out = await image
      .autoOrient()
      // Alpha is flattened onto white, not black: transparent pixels are the cut-away background of portrait
      // cut-outs and stickers, and a white backdrop is what people see in viewers and gives the face detector
      // a clean silhouette; black would merge with dark hair.
      .flatten({ background: WHITE })
      // Greyscale → 3 equal channels, CMYK (built-in profile when none is embedded) and embedded ICC profiles
      // → sRGB, 16-bit → 8-bit (scaled, not clipped).
      .toColourspace('srgb')
      .raw()
      .toBuffer({ resolveWithObject: true });
  } catch (e) {
    if (/exceeds pixel limit/i.test(libvipsText(e))) throw tooLarge(source, storedWidth, storedHeight, maxPixels);
    throw decodeFailure(e, source, format, bytes.byteLength);
  }

  const { data, info } = out;
  if (info.channels !== 3 || data.byteLength !== info.width * info.height * 3) {
    throw new ReconError(
      ErrorCodes.UNSUPPORTED_FORMAT,
      `${capitalise(source)} (${FORMAT_NAMES[format]}, ${meta.channels} channels, ${meta.space}) could not be converted to RGB`,
      CONVERT_HINT(),
      { format, channels: info.channels, space: meta.space },
    );
  }

  return {
    // A view on sharp's buffer, not a copy; a plain Uint8Array so Buffer-only semantics do not leak out.
    data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
    width: info.width,
    height: info.height,
    format: meta.format,
    orientation: meta.orientation ?? 1,
    storedWidth,
    storedHeight,
    sourceChannels: meta.channels,
    sourceSpace: meta.space,
    sourceBitDepth: BIT_DEPTH[meta.depth] ?? 8,
  };
}
