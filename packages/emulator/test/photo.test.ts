/**
 * renderPhoto, the photo-like images for tests' uploads: any size and shape (extremes and 12 MP
 * included), PNG or JPEG, deterministic per seed; and an emulator takes them as uploads.
 */
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { MAX_PHOTO_PIXELS, MAX_PHOTO_SIDE, type PhotoOptions, renderPhoto } from '../src/index.js';
import { call, startEmulator, upload } from './helpers.js';

const MB = 1_000_000;

describe('renderPhoto', () => {
  const shapes: Array<[width: number, height: number, minBytes: number, maxBytes: number]> = [
    [8000, 300, 2 * MB, 8 * MB],
    [300, 8000, 2 * MB, 8 * MB],
    [1, 1, 1, 1000],
    [4000, 3000, 12 * MB, 30 * MB],
  ];
  for (const [width, height, min, max] of shapes) {
    it(`draws ${width}×${height} as an RGB PNG of that size, ${min}–${max} bytes`, async () => {
      const png = await renderPhoto({ width, height, seed: 'shape' });
      expect(await sharp(png).metadata()).toMatchObject({ format: 'png', width, height, channels: 3 });
      expect(png.length).toBeGreaterThanOrEqual(min);
      expect(png.length).toBeLessThanOrEqual(max);
    });
  }

  it('draws a JPEG when asked, smaller than the PNG of the same photo', async () => {
    const options = { width: 1600, height: 1200, seed: 7 };
    const jpeg = await renderPhoto({ ...options, format: 'jpeg' });
    expect(await sharp(jpeg).metadata()).toMatchObject({ format: 'jpeg', width: 1600, height: 1200 });
    expect(jpeg.length).toBeLessThan((await renderPhoto(options)).length / 2);
  });

  it('is deterministic per seed, and another seed is another photo', async () => {
    const a = await renderPhoto({ width: 640, height: 480, seed: 'cat' });
    expect((await renderPhoto({ width: 640, height: 480, seed: 'cat' })).equals(a)).toBe(true);
    expect((await renderPhoto({ width: 640, height: 480, seed: 'dog' })).equals(a)).toBe(false);
    // Numbers and strings are different seeds; the default seed is 0.
    expect(
      (await renderPhoto({ width: 640, height: 480, seed: 0 })).equals(await renderPhoto({ width: 640, height: 480 })),
    ).toBe(true);
    expect(
      (await renderPhoto({ width: 640, height: 480, seed: '0' })).equals(
        await renderPhoto({ width: 640, height: 480 }),
      ),
    ).toBe(false);
  });

  it('makes smaller files with less grain', async () => {
    const size = { width: 1024, height: 768, seed: 3 };
    const [none, some, standard] = await Promise.all(
      [0, 2, undefined].map((grain) => renderPhoto({ ...size, ...(grain === undefined ? {} : { grain }) })),
    );
    expect(none!.length).toBeLessThan(some!.length);
    expect(some!.length).toBeLessThan(standard!.length);
  });

  const invalid: Array<[string, PhotoOptions, RegExp]> = [
    ['a width of 0', { width: 0, height: 10 }, /width must be a whole number of pixels from 1 to 32768; got 0/],
    ['a fractional height', { width: 10, height: 10.5 }, /height must be a whole number/],
    ['a side over the limit', { width: MAX_PHOTO_SIDE + 1, height: 1 }, /width must be/],
    ['too many pixels', { width: 10_000, height: 5_000 }, new RegExp(`at most ${MAX_PHOTO_PIXELS}`)],
    [
      'an unknown format',
      { width: 10, height: 10, format: 'gif' as 'png' },
      /format must be "png" or "jpeg"; got "gif"/,
    ],
    ['a NaN seed', { width: 10, height: 10, seed: Number.NaN }, /seed must be a string or a finite number/],
    ['a negative grain', { width: 10, height: 10, grain: -1 }, /grain must be a number from 0 to 64/],
  ];
  for (const [name, options, message] of invalid) {
    it(`refuses ${name} with a TypeError`, async () => {
      await expect(renderPhoto(options)).rejects.toThrow(TypeError);
      await expect(renderPhoto(options)).rejects.toThrow(message);
    });
  }

  it('makes uploads the emulator stores and serves byte for byte', async () => {
    const emulator = await startEmulator();
    for (const [format, type] of [
      ['png', 'image/png'],
      ['jpeg', 'image/jpeg'],
    ] as const) {
      const photo = await renderPhoto({ width: 2000, height: 1500, seed: format, format });
      expect((await upload(emulator, 'demo', format, photo, type)).status).toBe(200);
      const served = await call(emulator, 'GET', `/v1/demo/image/${format}`);
      expect(served.headers.get('content-type')).toBe(type);
      expect(Buffer.from(await served.arrayBuffer()).equals(photo)).toBe(true);
    }
  });
});
