import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_MAX_PIXELS, decodeImage, readInput } from '../src/recon/decode.js';
import { ErrorCodes, ReconError, type ErrorCode } from '../src/recon/errors.js';
import type { DecodedImage } from '../src/recon/types.js';

// Real photos from the shared test set (never copied into the repo): ../shared/faces/cases/ beside the repo.
const CASES = fileURLToPath(new URL('../../shared/faces/cases/', import.meta.url));
const CONTROL = path.join(CASES, 'control_obama_official_portrait.jpg'); // 910 × 1137, sRGB JPEG
const ORIENT6 = path.join(CASES, 'exif_orientation6_obama.jpg'); // the control rotated 90° CCW, Orientation=6
const RGBA = path.join(CASES, 'obama_podium_rgba_32bit.png'); // 626 × 1200, 4 channels
const GREY = path.join(CASES, 'cameraman_greyscale.png'); // 512 × 512, 1 channel

let tmp: string;
let control: DecodedImage;
let controlBytes: Uint8Array;

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'decode-test-'));
  control = await decodeImage(CONTROL);
  controlBytes = await readInput(CONTROL);
});

afterAll(async () => {
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

/** Mean absolute difference of two equally sized byte arrays. */
function meanAbsDiff(a: Uint8Array, b: Uint8Array): number {
  expect(a.length).toBe(b.length);
  let s = 0;
  for (let i = 0; i < a.length; i++) s += Math.abs(a[i] - b[i]);
  return s / a.length;
}

/** Pearson correlation of the luma of two RGB images (insensitive to brightness/colour bias). */
function lumaCorrelation(a: Uint8Array, b: Uint8Array): number {
  const n = a.length / 3;
  let sa = 0, sb = 0, saa = 0, sbb = 0, sab = 0;
  for (let i = 0; i < a.length; i += 3) {
    const la = 0.299 * a[i] + 0.587 * a[i + 1] + 0.114 * a[i + 2];
    const lb = 0.299 * b[i] + 0.587 * b[i + 1] + 0.114 * b[i + 2];
    sa += la; sb += lb; saa += la * la; sbb += lb * lb; sab += la * lb;
  }
  const cov = sab / n - (sa / n) * (sb / n);
  return cov / Math.sqrt((saa / n - (sa / n) ** 2) * (sbb / n - (sb / n) ** 2));
}

function expectRgb(img: DecodedImage, width: number, height: number): void {
  expect(img.width).toBe(width);
  expect(img.height).toBe(height);
  expect(img.data).toBeInstanceOf(Uint8Array);
  expect(img.data.length).toBe(width * height * 3);
}

/** The reference pixels as an sharp input, to encode test images in other formats from the real photo. */
function fromRaw(img: { data: Uint8Array; width: number; height: number }, channels: 1 | 3 | 4 = 3): sharp.Sharp {
  return sharp(img.data, { raw: { width: img.width, height: img.height, channels } });
}

async function smallControl(width: number, height: number): Promise<DecodedImage> {
  const { data, info } = await fromRaw(control).resize(width, height).raw().toBuffer({ resolveWithObject: true });
  return { ...control, data: new Uint8Array(data), width: info.width, height: info.height };
}

async function expectReconError(
  p: Promise<unknown>,
  code: ErrorCode,
  message: RegExp,
  hint: RegExp,
): Promise<ReconError> {
  let caught: unknown;
  try {
    await p;
  } catch (e) {
    caught = e;
  }
  expect(caught, 'expected the call to throw').toBeInstanceOf(ReconError);
  const err = caught as ReconError;
  expect(err.code).toBe(code);
  expect(err.message).toMatch(message);
  expect(err.hint).toMatch(hint);
  // No raw libvips wording in what users see.
  expect(err.message).not.toMatch(/vips|spng|Input buffer|pngload|gifload/i);
  return err;
}

describe('decodeImage on the shared real photos', () => {
  it('decodes the control JPEG to its stored size, 3 channels, upright', () => {
    expectRgb(control, 910, 1137);
    expect(control).toMatchObject({
      format: 'jpeg',
      orientation: 1,
      storedWidth: 910,
      storedHeight: 1137,
      sourceChannels: 3,
      sourceSpace: 'srgb',
      sourceBitDepth: 8,
    });
    let sum = 0;
    for (const v of control.data) sum += v;
    const mean = sum / control.data.length;
    expect(mean).toBeGreaterThan(30);
    expect(mean).toBeLessThan(220);
  });

  it('gives the same pixels from bytes as from the path', async () => {
    expect(controlBytes.length).toBe(279922);
    const fromBytes = await decodeImage(controlBytes);
    expect(fromBytes.width).toBe(910);
    expect(meanAbsDiff(fromBytes.data, control.data)).toBe(0);
  });

  it('reads bytes that are a view into a larger buffer (non-zero byteOffset)', async () => {
    const big = new Uint8Array(controlBytes.length + 100);
    big.set(controlBytes, 37);
    const img = await decodeImage(big.subarray(37, 37 + controlBytes.length));
    expect(meanAbsDiff(img.data, control.data)).toBe(0);
  });

  it('flattens the 32-bit RGBA PNG to 3 channels', async () => {
    const img = await decodeImage(RGBA);
    expectRgb(img, 626, 1200);
    expect(img.format).toBe('png');
    expect(img.sourceChannels).toBe(4);
    // The file is fully opaque, so flattening must not change the colour channels.
    const { data: rgba } = await sharp(RGBA).raw().toBuffer({ resolveWithObject: true });
    const rgb = new Uint8Array(626 * 1200 * 3);
    for (let p = 0, q = 0; p < rgba.length; p += 4, q += 3) {
      rgb[q] = rgba[p];
      rgb[q + 1] = rgba[p + 1];
      rgb[q + 2] = rgba[p + 2];
    }
    expect(meanAbsDiff(img.data, rgb)).toBeLessThan(0.01);
  });

  it('replicates the greyscale PNG into R=G=B with the original grey values', async () => {
    const img = await decodeImage(GREY);
    expectRgb(img, 512, 512);
    expect(img.sourceChannels).toBe(1);
    expect(img.sourceSpace).toBe('b-w');
    const { data: grey, info } = await sharp(GREY).toColourspace('b-w').raw().toBuffer({ resolveWithObject: true });
    expect(info.channels).toBe(1);
    let mismatches = 0;
    let off = 0;
    for (let i = 0, p = 0; i < grey.length; i++, p += 3) {
      if (img.data[p] !== img.data[p + 1] || img.data[p] !== img.data[p + 2]) mismatches++;
      off += Math.abs(img.data[p] - grey[i]);
    }
    expect(mismatches).toBe(0);
    expect(off / grey.length).toBeLessThan(0.01);
  });

  it('applies EXIF orientation 6: the sideways-stored copy decodes to the upright control photo', async () => {
    const img = await decodeImage(ORIENT6);
    expect(img.orientation).toBe(6);
    expect(img.storedWidth).toBe(1137);
    expect(img.storedHeight).toBe(910);
    expectRgb(img, 910, 1137); // swapped relative to the stored size, equal to the control's
    // cases.json: same photo as the control, rotated 90° CCW and re-encoded at quality 92.
    const upright = meanAbsDiff(img.data, control.data);
    expect(upright).toBeLessThan(3);
    // Discrimination check: the same image upside down (wrong rotation direction) is far away.
    const { data: rotated } = await fromRaw(control).rotate(180).raw().toBuffer({ resolveWithObject: true });
    expect(meanAbsDiff(img.data, rotated)).toBeGreaterThan(10 * Math.max(upright, 1));
  });
});

describe('decodeImage on other formats made from the real photo', () => {
  it('WebP (lossless) decodes to the same pixels', async () => {
    const bytes = await fromRaw(control).webp({ lossless: true }).toBuffer();
    const img = await decodeImage(bytes);
    expectRgb(img, 910, 1137);
    expect(img.format).toBe('webp');
    expect(meanAbsDiff(img.data, control.data)).toBe(0);
  });

  it('WebP (lossy) decodes to close pixels', async () => {
    const img = await decodeImage(await fromRaw(control).webp({ quality: 90 }).toBuffer());
    expectRgb(img, 910, 1137);
    expect(meanAbsDiff(img.data, control.data)).toBeLessThan(4);
  });

  it('TIFF (LZW) decodes to the same pixels', async () => {
    const img = await decodeImage(await fromRaw(control).tiff({ compression: 'lzw' }).toBuffer());
    expectRgb(img, 910, 1137);
    expect(img.format).toBe('tiff');
    expect(meanAbsDiff(img.data, control.data)).toBe(0);
  });

  it('GIF decodes to close pixels (palette quantisation)', async () => {
    const img = await decodeImage(await fromRaw(control).gif().toBuffer());
    expectRgb(img, 910, 1137);
    expect(img.format).toBe('gif');
    expect(meanAbsDiff(img.data, control.data)).toBeLessThan(6);
  });

  it('animated GIF gives its first frame', async () => {
    const small = await smallControl(100, 125);
    const f1 = await fromRaw(small).png().toBuffer();
    const f2 = await fromRaw(small).negate().png().toBuffer();
    const gif = await sharp([f1, f2], { join: { animated: true } }).gif().toBuffer();
    expect((await sharp(gif).metadata()).pages).toBe(2);
    const img = await decodeImage(gif);
    expectRgb(img, 100, 125);
    const toFirst = meanAbsDiff(img.data, small.data);
    expect(toFirst).toBeLessThan(8);
    const negated = small.data.map((v) => 255 - v);
    expect(meanAbsDiff(img.data, negated)).toBeGreaterThan(40);
  });

  it('AVIF decodes when this sharp build supports it, otherwise is UNSUPPORTED_FORMAT', async () => {
    if (sharp.format.heif.input.buffer) {
      const small = await smallControl(320, 400);
      const img = await decodeImage(await fromRaw(small).avif({ quality: 80 }).toBuffer());
      expectRgb(img, 320, 400);
      expect(img.format).toBe('heif');
      expect(meanAbsDiff(img.data, small.data)).toBeLessThan(5);
    } else {
      const avifHeader = Buffer.concat([
        Buffer.from([0, 0, 0, 0x1c]),
        Buffer.from('ftypavif\0\0\0\0avifmif1miaf', 'latin1'),
        Buffer.alloc(64, 7),
      ]);
      await expectReconError(decodeImage(avifHeader), ErrorCodes.UNSUPPORTED_FORMAT, /AVIF/, /JPEG/);
    }
  });

  it('16-bit RGB PNG is scaled (not clipped) to 8 bits', async () => {
    const bytes = await fromRaw(control).toColourspace('rgb16').png().toBuffer();
    expect((await sharp(bytes).metadata()).depth).toBe('ushort');
    const img = await decodeImage(bytes);
    expectRgb(img, 910, 1137);
    expect(img.sourceBitDepth).toBe(16);
    expect(img.sourceSpace).toBe('rgb16');
    expect(meanAbsDiff(img.data, control.data)).toBeLessThan(0.5);
  });

  it('16-bit greyscale PNG gives R=G=B close to the 8-bit grey', async () => {
    const bytes = await sharp(GREY).toColourspace('grey16').png().toBuffer();
    const img = await decodeImage(bytes);
    expectRgb(img, 512, 512);
    expect(img.sourceBitDepth).toBe(16);
    expect(img.sourceChannels).toBe(1);
    const grey8 = await decodeImage(GREY);
    expect(meanAbsDiff(img.data, grey8.data)).toBeLessThan(0.5);
    for (let p = 0; p < img.data.length; p += 3) {
      if (img.data[p] !== img.data[p + 1] || img.data[p] !== img.data[p + 2]) throw new Error(`R≠G≠B at ${p / 3}`);
    }
  });

  it('CMYK JPEG is converted to sRGB (same picture, small colour shift from the CMYK round trip)', async () => {
    const bytes = await fromRaw(control).toColourspace('cmyk').jpeg({ quality: 95 }).toBuffer();
    expect((await sharp(bytes).metadata()).space).toBe('cmyk');
    const img = await decodeImage(bytes);
    expectRgb(img, 910, 1137);
    expect(img.sourceSpace).toBe('cmyk');
    expect(img.sourceChannels).toBe(4);
    expect(lumaCorrelation(img.data, control.data)).toBeGreaterThan(0.98); // measured 0.993
    expect(meanAbsDiff(img.data, control.data)).toBeLessThan(15);
  });

  it('an embedded Display P3 profile is converted to sRGB', async () => {
    const bytes = await fromRaw(control).withIccProfile('p3').png().toBuffer();
    const img = await decodeImage(bytes);
    expectRgb(img, 910, 1137);
    // Ignoring the profile would leave the P3 numbers (mean diff ≈ 3); converting brings them back.
    expect(meanAbsDiff(img.data, control.data)).toBeLessThan(1);
  });

  it('transparent pixels become white, opaque ones keep their colour', async () => {
    const small = await smallControl(200, 250);
    const rgba = new Uint8Array(200 * 250 * 4);
    for (let i = 0, p = 0; i < small.data.length; i += 3, p += 4) {
      const x = (i / 3) % 200;
      const transparent = x < 100;
      // Transparent pixels hold black colour values: only a real flatten onto white gives 255.
      rgba[p] = transparent ? 0 : small.data[i];
      rgba[p + 1] = transparent ? 0 : small.data[i + 1];
      rgba[p + 2] = transparent ? 0 : small.data[i + 2];
      rgba[p + 3] = transparent ? 0 : 255;
    }
    const png = await fromRaw({ data: rgba, width: 200, height: 250 }, 4).png().toBuffer();
    const img = await decodeImage(png);
    expectRgb(img, 200, 250);
    expect(img.sourceChannels).toBe(4);
    let notWhite = 0;
    let off = 0;
    for (let i = 0; i < img.data.length; i++) {
      const x = Math.floor(i / 3) % 200;
      if (x < 100) notWhite += img.data[i] === 255 ? 0 : 1;
      else off += Math.abs(img.data[i] - small.data[i]);
    }
    expect(notWhite).toBe(0);
    expect(off / (img.data.length / 2)).toBeLessThan(0.01);
  });
});

describe('decodeImage limits', () => {
  it('defaults to 50 megapixels', () => {
    expect(DEFAULT_MAX_PIXELS).toBe(50_000_000);
  });

  it('refuses an image over maxPixels with both counts and a hint', async () => {
    // 910 × 1137 = 1,034,670 pixels
    const err = await expectReconError(
      decodeImage(CONTROL, { maxPixels: 1_000_000 }),
      ErrorCodes.IMAGE_TOO_LARGE,
      /910 × 1137 = 1,034,670 pixels.*limit of 1,000,000/,
      /[Dd]ownscale.*--max-pixels/,
    );
    expect(err.details).toMatchObject({ pixels: 1_034_670, maxPixels: 1_000_000 });
  });

  it('accepts an image exactly at the limit', async () => {
    const img = await decodeImage(CONTROL, { maxPixels: 910 * 1137 });
    expect(img.width).toBe(910);
  });

  it('checks the header before decoding: a PNG claiming 100000 × 100000 fails as too large, not as truncated', async () => {
    const png = pngHeaderOnly(100_000, 100_000);
    await expectReconError(decodeImage(png), ErrorCodes.IMAGE_TOO_LARGE, /10,000,000,000 pixels.*50,000,000/, /--max-pixels/);
    // Allowed by the limit, the same bytes fail as damaged data: proof that the size check came first above.
    await expectReconError(
      decodeImage(png, { maxPixels: 10_000_000_000 }),
      ErrorCodes.IMAGE_DECODE_FAILED,
      /PNG/,
      /again|[Rr]e-save/,
    );
  });

  it.each([0, -5, 1.5, Number.NaN, Number.POSITIVE_INFINITY, '1000', null])('rejects maxPixels = %s', async (bad) => {
    await expectReconError(
      decodeImage(CONTROL, { maxPixels: bad as unknown as number }),
      ErrorCodes.INVALID_OPTION,
      /integer ≥ 1.*maxPixels/,
      /maxPixels/,
    );
  });
});

describe('decodeImage bad inputs', () => {
  it('empty bytes and an empty file: IMAGE_DECODE_FAILED, "the file is empty"', async () => {
    await expectReconError(decodeImage(new Uint8Array(0)), ErrorCodes.IMAGE_DECODE_FAILED, /the file is empty/, /again/);
    const file = path.join(tmp, 'empty.jpg');
    await writeFile(file, '');
    await expectReconError(decodeImage(file), ErrorCodes.IMAGE_DECODE_FAILED, /empty\.jpg.*the file is empty/, /again/);
  });

  it('truncated JPEG (first half of the real file): IMAGE_DECODE_FAILED, truncated', async () => {
    const half = controlBytes.subarray(0, controlBytes.length >> 1);
    const err = await expectReconError(decodeImage(half), ErrorCodes.IMAGE_DECODE_FAILED, /JPEG.*truncated/, /again/);
    // The library's own text is kept for bug reports, not shown.
    expect(String(err.details?.cause)).toMatch(/premature end/i);
  });

  it('JPEG missing only its last bytes is still refused as truncated', async () => {
    const cut = controlBytes.subarray(0, controlBytes.length - 2000);
    await expectReconError(decodeImage(cut), ErrorCodes.IMAGE_DECODE_FAILED, /truncated/, /again/);
  });

  it('truncated PNG: IMAGE_DECODE_FAILED', async () => {
    const png = await readInput(RGBA);
    await expectReconError(decodeImage(png.subarray(0, png.length >> 1)), ErrorCodes.IMAGE_DECODE_FAILED, /PNG.*truncated/, /again/);
  });

  it('real JPEG header followed by garbage: IMAGE_DECODE_FAILED, corrupt', async () => {
    const bytes = new Uint8Array(controlBytes);
    let x = 12345;
    for (let i = 2500; i < bytes.length; i++) {
      x = (Math.imul(x, 1103515245) + 12345) >>> 0;
      bytes[i] = x >>> 24;
    }
    await expectReconError(decodeImage(bytes), ErrorCodes.IMAGE_DECODE_FAILED, /JPEG.*corrupt/, /[Rr]e-save|again/);
  });

  it('a text file: IMAGE_DECODE_FAILED saying it is text', async () => {
    const file = path.join(tmp, 'notes.jpg');
    await writeFile(file, 'Remember to send the portrait photo tomorrow.\n');
    const err = await expectReconError(decodeImage(file), ErrorCodes.IMAGE_DECODE_FAILED, /notes\.jpg.*it is text, not an image/, /photo file/);
    // The contents are never quoted: a text file may be a secret (a token, an .env).
    expect(JSON.stringify(err)).not.toMatch(/Remember|portrait/);
  });

  it('an HTML page saved instead of a photo: IMAGE_DECODE_FAILED naming it', async () => {
    const html = new TextEncoder().encode('<!DOCTYPE html><html><body>404 Not Found</body></html>');
    await expectReconError(decodeImage(html), ErrorCodes.IMAGE_DECODE_FAILED, /HTML/, /photo file/);
  });

  it('random bytes: IMAGE_DECODE_FAILED', async () => {
    const bytes = new Uint8Array(4096);
    let x = 99;
    for (let i = 0; i < bytes.length; i++) {
      x = (Math.imul(x, 1103515245) + 12345) >>> 0;
      bytes[i] = x >>> 24;
    }
    bytes[0] = 0x13; // not any format's first byte
    const err = await expectReconError(decodeImage(bytes), ErrorCodes.IMAGE_DECODE_FAILED, /signature of any image format/, /JPEG/);
    // Not even the first bytes, in hex.
    expect(err.message).not.toMatch(/13 [0-9a-f]{2}/);
  });

  it('a real BMP: UNSUPPORTED_FORMAT naming BMP and the supported formats', async () => {
    const small = await smallControl(64, 80);
    const err = await expectReconError(
      decodeImage(bmp24(small)),
      ErrorCodes.UNSUPPORTED_FORMAT,
      /BMP.*supported formats: JPEG, PNG, WebP, TIFF/,
      /Convert.*JPEG or PNG/,
    );
    expect(err.details).toMatchObject({ format: expect.stringMatching(/BMP/) });
  });

  it('a PDF: UNSUPPORTED_FORMAT', async () => {
    const pdf = new TextEncoder().encode('%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n');
    await expectReconError(decodeImage(pdf), ErrorCodes.UNSUPPORTED_FORMAT, /PDF/, /JPEG or PNG/);
  });

  it('an SVG (which sharp itself would render): UNSUPPORTED_FORMAT', async () => {
    const svg = new TextEncoder().encode(
      '<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect width="10" height="10"/></svg>',
    );
    expect((await sharp(svg).metadata()).format).toBe('svg'); // sharp would decode it…
    await expectReconError(decodeImage(svg), ErrorCodes.UNSUPPORTED_FORMAT, /SVG/, /JPEG or PNG/); // …we do not
  });

  it.each([
    ['PSD', [0x38, 0x42, 0x50, 0x53, 0, 1, 0, 0, 0, 0, 0, 0, 0, 3], /PSD/],
    ['ICO', [0, 0, 1, 0, 1, 0, 16, 16, 0, 0, 1, 0, 32, 0], /ICO/],
    ['JPEG XL codestream', [0xff, 0x0a, 0xfa, 0x1f, 0x42, 0x08], /JPEG XL/],
    ['JPEG XL container', [0, 0, 0, 0x0c, 0x4a, 0x58, 0x4c, 0x20, 0x0d, 0x0a, 0x87, 0x0a, 0, 0, 0, 0x14], /JPEG XL/],
  ])('%s magic bytes: UNSUPPORTED_FORMAT', async (_name, magic, re) => {
    const bytes = new Uint8Array(256);
    bytes.set(magic as number[]);
    await expectReconError(decodeImage(bytes), ErrorCodes.UNSUPPORTED_FORMAT, re as RegExp, /JPEG/);
  });

  it('a missing path: FILE_NOT_FOUND with the path and a hint', async () => {
    const missing = path.join(tmp, 'no-such-photo.jpg');
    await expectReconError(decodeImage(missing), ErrorCodes.FILE_NOT_FOUND, /No file at .*no-such-photo\.jpg/, /Check the path/);
    await expectReconError(readInput('relative/missing.png'), ErrorCodes.FILE_NOT_FOUND, /resolved to/, /working directory/);
  });

  it('a directory: IMAGE_DECODE_FAILED saying it is a directory', async () => {
    await expectReconError(decodeImage(tmp), ErrorCodes.IMAGE_DECODE_FAILED, /is a directory/, /photo file.*recon-daemon batch <folder>/);
  });

  it('a non-path, non-bytes input: INVALID_OPTION', async () => {
    await expectReconError(readInput(42 as unknown as string), ErrorCodes.INVALID_OPTION, /input/, /input/);
    await expectReconError(readInput(''), ErrorCodes.INVALID_OPTION, /input/, /input/);
  });
});

describe('readInput', () => {
  it('reads a path into the file bytes and passes bytes through', async () => {
    expect(controlBytes).toBeInstanceOf(Uint8Array);
    expect(controlBytes.length).toBe(279922);
    expect([controlBytes[0], controlBytes[1], controlBytes[2]]).toEqual([0xff, 0xd8, 0xff]);
    const bytes = new Uint8Array([1, 2, 3]);
    expect(await readInput(bytes)).toBe(bytes);
  });

  it('refuses a "regular" file whose size is not known (/proc/self/pagemap) at once instead of reading it forever', async () => {
    const t0 = performance.now();
    await expectReconError(readInput('/proc/self/pagemap'), ErrorCodes.IMAGE_DECODE_FAILED, /size is not known/, /again/);
    expect(performance.now() - t0).toBeLessThan(1000);
  });

  it('checks the first bytes before reading the rest: a big non-image costs a few kilobytes', async () => {
    const file = path.join(tmp, 'big.bin');
    const fd = await import('node:fs/promises').then((f) => f.open(file, 'w'));
    await fd.truncate(200 * 1024 * 1024); // sparse: no disk used
    await fd.close();
    const t0 = performance.now();
    await expectReconError(readInput(file), ErrorCodes.IMAGE_DECODE_FAILED, /signature of any image format/, /photo file/);
    expect(performance.now() - t0).toBeLessThan(1000);
    // A photo over the byte limit is refused after its first bytes, not read.
    const photo = path.join(tmp, 'big-photo.jpg');
    await writeFile(photo, controlBytes);
    await expectReconError(readInput(photo, { maxBytes: 100_000 }), ErrorCodes.IMAGE_TOO_LARGE, /279,922 bytes, more than the limit of 100,000 bytes/, /Downscale/);
  });

  it('refuses a link with noFollow, and a file outside `within`', async () => {
    const link = path.join(tmp, 'link.jpg');
    const { symlink, mkdir } = await import('node:fs/promises');
    await symlink(CONTROL, link);
    expect((await readInput(link)).length).toBe(279922);
    await expectReconError(readInput(link, { noFollow: true }), ErrorCodes.IMAGE_DECODE_FAILED, /is a symbolic link/, /not a link/);
    const inner = path.join(tmp, 'inner');
    await mkdir(inner, { recursive: true });
    await symlink(path.dirname(CONTROL), path.join(inner, 'dir'));
    await expectReconError(readInput(path.join(inner, 'dir', path.basename(CONTROL)), { within: inner }), ErrorCodes.IMAGE_DECODE_FAILED, /leads outside/, /not a link/);
  });

  it('stops a read when its signal is aborted', async () => {
    const ac = new AbortController();
    ac.abort();
    await expectReconError(readInput(CONTROL, { signal: ac.signal }), ErrorCodes.CANCELLED, /cancelled/, /again/);
  });
});

describe('sniffing in linear time', () => {
  it('tells an SVG with many leading comments from text, fast (no backtracking pattern)', async () => {
    const comments = '<!-- c -->'.repeat(300); // within the 4 KiB that are sniffed
    const t0 = performance.now();
    await expectReconError(decodeImage(new TextEncoder().encode(`${comments}\n<svg xmlns="http://www.w3.org/2000/svg"/>`)), ErrorCodes.UNSUPPORTED_FORMAT, /SVG/, /JPEG/);
    // The pattern that took minutes on 40 comments and no <svg>.
    await expectReconError(decodeImage(new TextEncoder().encode('<!-- c -->'.repeat(40) + 'x')), ErrorCodes.IMAGE_DECODE_FAILED, /text, not an image/, /photo file/);
    await expectReconError(decodeImage(new TextEncoder().encode(`<?xml version="1.0"?>${'<!-- c --> '.repeat(300)}<svg>`)), ErrorCodes.UNSUPPORTED_FORMAT, /SVG/, /JPEG/);
    expect(performance.now() - t0).toBeLessThan(500);
  });
});

// ---------------------------------------------------------------------------------------------------------

/** A real 24-bit BMP (BITMAPINFOHEADER, bottom-up BGR rows padded to 4 bytes) of an RGB image. */
function bmp24(img: { data: Uint8Array; width: number; height: number }): Uint8Array {
  const rowBytes = Math.ceil((img.width * 3) / 4) * 4;
  const size = 54 + rowBytes * img.height;
  const b = Buffer.alloc(size);
  b.write('BM', 0, 'latin1');
  b.writeUInt32LE(size, 2);
  b.writeUInt32LE(54, 10);
  b.writeUInt32LE(40, 14);
  b.writeInt32LE(img.width, 18);
  b.writeInt32LE(img.height, 22);
  b.writeUInt16LE(1, 26);
  b.writeUInt16LE(24, 28);
  b.writeUInt32LE(rowBytes * img.height, 34);
  b.writeInt32LE(2835, 38);
  b.writeInt32LE(2835, 42);
  for (let y = 0; y < img.height; y++) {
    const row = 54 + (img.height - 1 - y) * rowBytes;
    for (let x = 0; x < img.width; x++) {
      const s = (y * img.width + x) * 3;
      b[row + x * 3] = img.data[s + 2];
      b[row + x * 3 + 1] = img.data[s + 1];
      b[row + x * 3 + 2] = img.data[s];
    }
  }
  return b;
}

function crc32(bytes: Uint8Array): number {
  let c = ~0;
  for (const v of bytes) {
    c ^= v;
    for (let k = 0; k < 8; k++) c = (c >>> 1) ^ (0xedb88320 & -(c & 1));
  }
  return ~c >>> 0;
}

function pngChunk(type: string, data: Uint8Array): Buffer {
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  out.write(type, 4, 'latin1');
  out.set(data, 8);
  out.writeUInt32BE(crc32(out.subarray(4, 8 + data.length)), 8 + data.length);
  return out;
}

/** A PNG with a valid IHDR claiming width × height RGB pixels and one tiny IDAT: decodes only as far as its header. */
function pngHeaderOnly(width: number, height: number): Uint8Array {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // RGB
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk('IHDR', ihdr),
    pngChunk('IDAT', new Uint8Array([0x78, 0x9c, 0x63, 0x60, 0x00, 0x00])),
  ]);
}
