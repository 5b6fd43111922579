// The PNG writer (src/recon/outputs/png.ts): every pixel survives a round trip through an independent
// decoder (sharp/libspng), for each format the outputs use, and bad rasters get a typed error. The
// blocking and the thread-pool encodes write the same bytes.
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { ReconError } from '../src/recon/errors.js';
import { encodePng, encodePngSync, type PngRaster } from '../src/recon/outputs/png.js';

async function decode(png: Buffer, wide: boolean, channels: 1 | 3): Promise<{ data: Buffer; info: sharp.OutputInfo }> {
  let img = sharp(png);
  if (wide) img = img.toColourspace(channels === 1 ? 'grey16' : 'rgb16');
  else if (channels === 1) img = img.toColourspace('b-w');
  return img.raw({ depth: wide ? 'ushort' : 'uchar' }).toBuffer({ resolveWithObject: true });
}

/** Noise with flat runs and hard edges: exercises literal bytes, runs and wrap-around of the Sub filter. */
function pattern(n: number, max: number): number[] {
  let seed = 7;
  return Array.from({ length: n }, (_, i) => {
    seed = (seed * 1103515245 + 12345) >>> 0;
    return i % 97 < 40 ? 0 : i % 97 < 50 ? max : seed % (max + 1);
  });
}

describe('encodePng', () => {
  for (const [name, width, height, channels, wide] of [
    ['8-bit grey', 61, 37, 1, false],
    ['8-bit RGB', 64, 33, 3, false],
    ['16-bit grey', 45, 29, 1, true],
    ['16-bit RGB', 17, 9, 3, true],
    ['one pixel', 1, 1, 3, false],
  ] as const) {
    it(`round-trips ${name} (${width}×${height}) exactly`, async () => {
      const values = pattern(width * height * channels, wide ? 65535 : 255);
      const data = wide ? Uint16Array.from(values) : Uint8Array.from(values);
      const png = await encodePng({ data, width, height, channels });
      const meta = await sharp(png).metadata();
      expect([meta.width, meta.height, meta.channels, meta.depth]).toEqual([width, height, channels, wide ? 'ushort' : 'uchar']);
      const back = await decode(png, wide, channels);
      const got = wide ? Array.from({ length: back.data.length / 2 }, (_, i) => back.data.readUInt16LE(2 * i)) : Array.from(back.data);
      expect(got).toEqual(values);
    });
  }

  it('compresses a flat background to a small fraction of its raw size', async () => {
    const data = new Uint8Array(256 * 256);
    for (let y = 96; y < 160; y++) for (let x = 96; x < 160; x++) data[y * 256 + x] = (x * 3 + y) & 255;
    const png = await encodePng({ data, width: 256, height: 256, channels: 1 });
    expect(png.length).toBeLessThan(data.length / 10);
  });

  it('refuses a raster whose size does not match its data, and a bad level, with typed errors', async () => {
    await expect(encodePng({ data: new Uint8Array(10), width: 4, height: 4, channels: 1 })).rejects.toThrow(ReconError);
    await expect(encodePng({ data: new Uint8Array(0), width: 0, height: 0, channels: 1 })).rejects.toThrow(/positive integer/);
    await expect(encodePng({ data: new Uint8Array(16), width: 4, height: 4, channels: 1 }, { compressionLevel: 12 })).rejects.toThrow(/compressionLevel/);
  });
});

describe('encodePngSync', () => {
  it('writes the same bytes as encodePng (libuv pool) for every format and option', async () => {
    const rasters: PngRaster[] = [
      { data: Uint8Array.from(pattern(300 * 200, 255)), width: 300, height: 200, channels: 1 },
      { data: Uint8Array.from(pattern(128 * 96 * 3, 255)), width: 128, height: 96, channels: 3 },
      { data: Uint16Array.from(pattern(80 * 60, 65535)), width: 80, height: 60, channels: 1 },
    ];
    for (const img of rasters) {
      for (const options of [{}, { photo: true }, { compressionLevel: 6 }]) {
        expect(Buffer.compare(encodePngSync(img, options), await encodePng(img, options))).toBe(0);
      }
    }
    expect(() => encodePngSync({ data: new Uint8Array(10), width: 4, height: 4, channels: 1 })).toThrow(ReconError);
  });
});
