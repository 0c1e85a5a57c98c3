import { deflateSync } from 'node:zlib';
import { imageSize } from 'image-size';
import sharp, { type Metadata, type Sharp } from 'sharp';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import {
  DEFAULT_PREVIEW_MAX_BYTES,
  imageInfo,
  MIN_PREVIEW_BUDGET,
  makePreview,
  type Preview,
  PreviewError,
  setPreviewConcurrency,
} from '../src/preview.js';

/**
 * A photo-like image: colour gradients and a wave under gaussian noise of `sigma` levels (each
 * channel its own noise), the same for the same seed. Noise is what makes photographs large
 * and hard to compress, so these are worst cases for the budget.
 */
function photo(width: number, height: number, sigma: number, seed = 1): Sharp {
  const pixels = new Uint8ClampedArray(width * height * 3);
  let state = seed >>> 0;
  const uniform = (): number => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return (state + 1) / (2 ** 32 + 1);
  };
  const noise = (): number => Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform()) * sigma;
  for (let y = 0, i = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      pixels[i++] = (255 * x) / width + noise();
      pixels[i++] = (255 * y) / height + noise();
      pixels[i++] = 128 + 64 * Math.sin(x / 40) * Math.cos(y / 60) + noise();
    }
  }
  return sharp(pixels, { raw: { width, height, channels: 3 } });
}

/** What the preview's bytes really are, read back with sharp. */
async function decoded(preview: Preview): Promise<Metadata> {
  return sharp(preview.data).metadata();
}

/** Checks the rules every preview keeps, on its decoded bytes; returns the metadata. */
async function expectPreview(preview: Preview, maxBytes: number): Promise<Metadata> {
  expect(preview.original).toBe(false);
  expect(preview.mimeType).toBe('image/jpeg');
  expect(preview.size).toBe(preview.data.byteLength);
  expect(preview.size).toBeLessThanOrEqual(maxBytes);
  const meta = await decoded(preview);
  expect(meta.format).toBe('jpeg');
  expect([meta.width, meta.height]).toEqual([preview.width, preview.height]);
  expect(Math.max(preview.width, preview.height)).toBeLessThanOrEqual(1568);
  expect(Math.min(preview.width, preview.height)).toBeGreaterThanOrEqual(1);
  return meta;
}

/** The aspect ratio is kept to within the rounding of one pixel on the short side. */
function expectAspect(preview: Preview, width: number, height: number): void {
  const long = Math.max(preview.width, preview.height);
  const short = Math.min(preview.width, preview.height);
  expect(short).toBeCloseTo((long * Math.min(width, height)) / Math.max(width, height), -0.5);
  expect(preview.width >= preview.height).toBe(width >= height);
}

/** A PNG of `width`×`height` black pixels, 1 bit a pixel, built by hand: a few kilobytes that decode to gigabytes. */
function blackPngBomb(width: number, height: number): Buffer {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([1, 0, 0, 0, 0], 8); // bit depth 1, greyscale, deflate, no filter, not interlaced
  const rows = Buffer.alloc((1 + Math.ceil(width / 8)) * height); // filter byte 0, then black pixels
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk('IHDR', header),
    pngChunk('IDAT', deflateSync(rows, { level: 9 })),
    pngChunk('IEND', Buffer.alloc(0)),
  ]);
}

/** A PNG chunk: length, type, data, CRC. */
function pngChunk(type: string, data: Buffer): Buffer {
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  return Buffer.concat([length, body, crc]);
}

/** `gif` (one frame at 0,0 filling its screen, as sharp writes it) with its logical screen set to `width`×`height`. */
function withGifScreen(gif: Buffer, width: number, height: number): Buffer {
  const hostile = Buffer.from(gif);
  hostile.writeUInt16LE(width, 6);
  hostile.writeUInt16LE(height, 8);
  return hostile;
}

/**
 * `jpeg` with an 0xFF fill byte and a COM segment put before its SOF0. libjpeg skips fill bytes;
 * image-size does not: it reads the COM marker's code and length as a length (0xFEFF), lands
 * inside the comment, and there finds the fake frame header written for it: 10×10.
 */
function withFakeJpegSize(jpeg: Buffer): Buffer {
  let p = 2;
  while (!(jpeg[p] === 0xff && jpeg[p + 1] === 0xc0)) p += 2 + jpeg.readUInt16BE(p + 2);
  const length = 0xff10; // marker code 0xFE then 0xFF: image-size jumps 0xFEFF bytes from the 0xFE
  const comment = Buffer.alloc(2 + length, 0x20);
  comment[0] = 0xff;
  comment[1] = 0xfe;
  comment.writeUInt16BE(length, 2);
  const fake = 1 + 0xfeff; // offset in `comment` image-size reads a marker at
  comment.set([0xff, 0xc0, 0x00, 0x11, 0x08, 0x00, 0x0a, 0x00, 0x0a], fake);
  return Buffer.concat([jpeg.subarray(0, p), Buffer.from([0xff]), comment, jpeg.subarray(p)]);
}

function crc32(data: Buffer): number {
  let crc = ~0;
  for (const byte of data) {
    crc ^= byte;
    for (let k = 0; k < 8; k++) crc = (crc >>> 1) ^ (0xedb88320 & -(crc & 1));
  }
  return ~crc >>> 0;
}

describe('makePreview', () => {
  let png1024: Buffer;
  let png1792: Buffer;

  beforeAll(async () => {
    // 16 bits a channel: an 8-bit RGB 1024² PNG cannot pass ~3.1 MB, real ones reach 4–5 MB with more bits or alpha.
    png1024 = await photo(1024, 1024, 16).toColourspace('rgb16').png().toBuffer();
    png1792 = await photo(1792, 1024, 3, 2).png().toBuffer();
  });

  it('turns a ~4 MB 1024×1024 PNG photo into a JPEG within the default budget, 512–1024 px', async () => {
    expect(png1024.length).toBeGreaterThan(3.5e6);
    const preview = await makePreview(png1024, 'image/png', { maxBytes: DEFAULT_PREVIEW_MAX_BYTES });
    await expectPreview(preview, DEFAULT_PREVIEW_MAX_BYTES);
    expect(preview.width).toBe(preview.height);
    expect(preview.width).toBeGreaterThanOrEqual(512);
    expect(preview.width).toBeLessThanOrEqual(1024);
  });

  it('scales a 1792×1024 PNG of ~4.5 MB to a long edge of 1,568 px', async () => {
    expect(png1792.length).toBeGreaterThan(4e6);
    const preview = await makePreview(png1792, 'image/png', { maxBytes: DEFAULT_PREVIEW_MAX_BYTES });
    await expectPreview(preview, DEFAULT_PREVIEW_MAX_BYTES);
    expect([preview.width, preview.height]).toEqual([1568, 896]);
    expect(preview.quality).toBeGreaterThanOrEqual(40);
    expect(png1792.byteLength).toBeGreaterThan(4e6); // the caller's bytes are left as they were
  });

  it.each([
    [8000, 300],
    [300, 8000],
  ])('keeps a %i×%i strip under 1,568 px on the long edge, aspect kept', async (width, height) => {
    const strip = await photo(width, height, 10).png().toBuffer();
    expect(imageInfo(strip, 'image/png')).toEqual({ width, height, mimeType: 'image/png' });
    const preview = await makePreview(strip, 'image/png', { maxBytes: DEFAULT_PREVIEW_MAX_BYTES });
    await expectPreview(preview, DEFAULT_PREVIEW_MAX_BYTES);
    expect(Math.max(preview.width, preview.height)).toBe(1568);
    expectAspect(preview, width, height);
  });

  it('keeps at least 1 px on the short side of an extreme strip', async () => {
    const line = await sharp({ create: { width: 8000, height: 2, channels: 3, background: '#2a6' } })
      .png()
      .toBuffer();
    const preview = await makePreview(line, 'image/png', { maxBytes: 1_024 });
    await expectPreview(preview, 1_024);
    expect([preview.width, preview.height]).toEqual([1568, 1]);
  });

  it('refuses a 20000×20000 PNG bomb from its header, before decoding it', async () => {
    const bomb = blackPngBomb(20_000, 20_000);
    expect(bomb.length).toBeLessThan(100_000); // decoded it would be 1.6 GB of RGBA
    expect(imageInfo(bomb, 'image/png')).toEqual({ width: 20_000, height: 20_000, mimeType: 'image/png' });
    const error = await makePreview(bomb, 'image/png', { maxBytes: DEFAULT_PREVIEW_MAX_BYTES }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(PreviewError);
    expect(error).toMatchObject({ name: 'PreviewError', code: 'too-many-pixels' });
    expect((error as Error).message).toBe(
      'the image is 20000×20000 px (400 megapixels), over the 50 megapixels a preview is made from, so it was not decoded',
    );
  });

  it('previews a large one-colour PNG within the pixel limit', async () => {
    const large = blackPngBomb(6_000, 5_000);
    const preview = await makePreview(large, 'image/png', {
      maxBytes: DEFAULT_PREVIEW_MAX_BYTES,
      maxPixels: 30_000_000,
    });
    await expectPreview(preview, DEFAULT_PREVIEW_MAX_BYTES);
    expect([preview.width, preview.height]).toEqual([1568, 1307]);
    const { data } = await sharp(preview.data).raw().toBuffer({ resolveWithObject: true });
    expect(data.reduce((max, value) => Math.max(max, value), 0)).toBeLessThan(8); // black stays black through the box filter and the resize
    await expect(
      makePreview(large, 'image/png', { maxBytes: DEFAULT_PREVIEW_MAX_BYTES, maxPixels: 20_000_000 }),
    ).rejects.toMatchObject({ code: 'too-many-pixels' });
  });

  it('returns a small image as it is: same bytes, original: true', async () => {
    const small = await sharp({ create: { width: 300, height: 200, channels: 3, background: '#4080c0' } })
      .png()
      .toBuffer();
    const preview = await makePreview(small, 'image/png', { maxBytes: DEFAULT_PREVIEW_MAX_BYTES });
    expect(preview).toEqual({
      data: small,
      mimeType: 'image/png',
      width: 300,
      height: 200,
      size: small.length,
      original: true,
    });
    expect(preview.data).toBe(small);
  });

  it('names the type the bytes are, not the one declared', async () => {
    const small = await photo(64, 64, 5).webp().toBuffer();
    const preview = await makePreview(small, 'image/png', { maxBytes: DEFAULT_PREVIEW_MAX_BYTES });
    expect(preview).toMatchObject({ original: true, mimeType: 'image/webp', width: 64, height: 64 });
  });

  it('flattens transparency on white', async () => {
    // 2000×1000: left half fully transparent (its colour, blue, must not show), right half opaque red.
    const half = { width: 1000, height: 1000, channels: 4 } as const;
    const image = await sharp({
      create: { width: 2000, height: 1000, channels: 4, background: { r: 0, g: 0, b: 255, alpha: 0 } },
    })
      .composite([
        {
          input: await sharp({ create: { ...half, background: { r: 255, g: 0, b: 0, alpha: 1 } } })
            .png()
            .toBuffer(),
          left: 1000,
          top: 0,
        },
      ])
      .png()
      .toBuffer();
    const preview = await makePreview(image, 'image/png', { maxBytes: DEFAULT_PREVIEW_MAX_BYTES });
    const meta = await expectPreview(preview, DEFAULT_PREVIEW_MAX_BYTES);
    expect(meta.hasAlpha).toBe(false);
    const { data, info } = await sharp(preview.data).raw().toBuffer({ resolveWithObject: true });
    const pixel = (x: number, y: number): number[] => [
      ...data.subarray((y * info.width + x) * info.channels, (y * info.width + x) * info.channels + 3),
    ];
    for (const value of pixel(200, 300)) expect(value).toBeGreaterThan(245);
    const [r, g, b] = pixel(1400, 300);
    expect(r).toBeGreaterThan(230);
    expect(g).toBeLessThan(25);
    expect(b).toBeLessThan(25);
  });

  it('previews a ~3 MB 2400×1600 JPEG, given as a view into a larger buffer', async () => {
    const jpeg = await photo(2400, 1600, 12).jpeg({ quality: 95 }).toBuffer();
    expect(jpeg.length).toBeGreaterThan(2e6);
    // A view into a larger buffer, at an odd offset: only the view is the image.
    const view = Buffer.concat([Buffer.alloc(3, 0xff), jpeg, Buffer.alloc(5, 0xd9)]).subarray(3, 3 + jpeg.length);
    const preview = await makePreview(view, 'image/jpeg', { maxBytes: DEFAULT_PREVIEW_MAX_BYTES });
    await expectPreview(preview, DEFAULT_PREVIEW_MAX_BYTES);
    expect([preview.width, preview.height]).toEqual([1568, 1045]);
  });

  it('shows a JPEG turned by EXIF upright', async () => {
    const turned = await photo(2000, 1000, 4).jpeg({ quality: 90 }).withMetadata({ orientation: 6 }).toBuffer();
    expect(imageInfo(turned, 'image/jpeg')).toEqual({ width: 1000, height: 2000, mimeType: 'image/jpeg' });
    const preview = await makePreview(turned, 'image/jpeg', { maxBytes: DEFAULT_PREVIEW_MAX_BYTES });
    const meta = await expectPreview(preview, DEFAULT_PREVIEW_MAX_BYTES);
    expect(meta.orientation ?? 1).toBe(1);
    expect([preview.width, preview.height]).toEqual([784, 1568]);
  });

  it('previews a WebP', async () => {
    const webp = await photo(2000, 1000, 8).webp({ quality: 95 }).toBuffer();
    const preview = await makePreview(webp, 'image/webp', { maxBytes: DEFAULT_PREVIEW_MAX_BYTES });
    await expectPreview(preview, DEFAULT_PREVIEW_MAX_BYTES);
    expect([preview.width, preview.height]).toEqual([1568, 784]);
  });

  it('previews the first frame of a GIF', async () => {
    const gif = await photo(1800, 900, 8).gif({ colours: 32, effort: 1, dither: 0 }).toBuffer();
    const preview = await makePreview(gif, 'image/gif', { maxBytes: DEFAULT_PREVIEW_MAX_BYTES });
    await expectPreview(preview, DEFAULT_PREVIEW_MAX_BYTES);
    expect([preview.width, preview.height]).toEqual([1568, 784]);
    // The gradient survives: dark top-left, light right edge in red.
    const { data, info } = await sharp(preview.data).raw().toBuffer({ resolveWithObject: true });
    expect(data[0]).toBeLessThan(60);
    expect(data[(info.width - 1) * info.channels]).toBeGreaterThan(190);
  });

  it('keeps to a tiny budget of 20,000 bytes, still at least 512 px', async () => {
    const preview = await makePreview(png1792, 'image/png', { maxBytes: 20_000 });
    await expectPreview(preview, 20_000);
    expect(preview.width).toBeGreaterThanOrEqual(512);
    expectAspect(preview, 1792, 1024);
  });

  it('goes under 512 px rather than fail when the budget cannot be met there', async () => {
    const preview = await makePreview(png1024, 'image/png', { maxBytes: 4_000 });
    await expectPreview(preview, 4_000);
    expect(preview.width).toBeLessThan(512);
    expect(preview.quality).toBe(40);
  });

  it('makes previews asked for at the same time, one after the other', async () => {
    const [a, b] = await Promise.all([
      makePreview(png1792, 'image/png', { maxBytes: 30_000 }),
      makePreview(png1792, 'image/png', { maxBytes: 60_000 }),
    ]);
    await expectPreview(a, 30_000);
    await expectPreview(b, 60_000);
  });

  it('says why, in a PreviewError, when the bytes are no image or cannot be decoded', async () => {
    await expect(
      makePreview(new TextEncoder().encode('<html>not an image</html>'), 'image/png', {
        maxBytes: DEFAULT_PREVIEW_MAX_BYTES,
      }),
    ).rejects.toMatchObject({
      name: 'PreviewError',
      code: 'unsupported-type',
      message: 'the data (declared as image/png) is not a PNG, JPEG, WebP or GIF image',
    });
    const cut = png1792.subarray(0, png1792.length / 2); // header intact, pixels cut off
    expect(imageInfo(cut, 'image/png')).toMatchObject({ width: 1792, height: 1024 });
    const error = await makePreview(cut, 'image/png', { maxBytes: DEFAULT_PREVIEW_MAX_BYTES }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PreviewError);
    expect(error).toMatchObject({ code: 'undecodable' });
    expect((error as Error).message).toMatch(/^the image\/png image cannot be decoded \(.+\)$/);
  });

  describe('an image whose header lies is never sent as it is', () => {
    it('a GIF whose 10×10 logical screen holds a 12000×3000 frame: a preview of the whole frame', async () => {
      const frame = await sharp({ create: { width: 12_000, height: 3_000, channels: 3, background: '#c04020' } })
        .gif()
        .toBuffer();
      const gif = withGifScreen(frame, 10, 10);
      expect(gif.length).toBeLessThan(DEFAULT_PREVIEW_MAX_BYTES);
      expect(imageInfo(gif, 'image/gif')).toEqual({ width: 10, height: 10, mimeType: 'image/gif' });
      const preview = await makePreview(gif, 'image/gif', { maxBytes: DEFAULT_PREVIEW_MAX_BYTES });
      await expectPreview(preview, DEFAULT_PREVIEW_MAX_BYTES);
      expect([preview.width, preview.height]).toEqual([1568, 392]);
      const { data, info } = await sharp(preview.data).raw().toBuffer({ resolveWithObject: true });
      const middle = (Math.floor(info.height / 2) * info.width + Math.floor(info.width / 2)) * info.channels;
      expect(data[middle]).toBeGreaterThan(170); // the frame's colour, #c04020, not an empty screen
      expect(data[middle + 2]).toBeLessThan(80);
    });

    it('a GIF whose frame fits its screen is still sent as it is', async () => {
      const gif = await sharp({ create: { width: 120, height: 80, channels: 3, background: '#c04020' } })
        .gif()
        .toBuffer();
      const preview = await makePreview(gif, 'image/gif', { maxBytes: DEFAULT_PREVIEW_MAX_BYTES });
      expect(preview).toMatchObject({ original: true, mimeType: 'image/gif', width: 120, height: 80 });
      expect(preview.data).toBe(gif);
    });

    it('a JPEG that image-size reads as 10×10 and libjpeg as 20000×200: a preview at the true size', async () => {
      const real = await sharp({ create: { width: 20_000, height: 200, channels: 3, background: '#3070b0' } })
        .jpeg({ quality: 50 })
        .toBuffer();
      const jpeg = withFakeJpegSize(real);
      expect(imageSize(jpeg)).toMatchObject({ width: 10, height: 10 });
      expect(await sharp(jpeg).metadata()).toMatchObject({ width: 20_000, height: 200 });
      const maxBytes = 200_000; // the comment alone is 65 KB
      expect(jpeg.length).toBeLessThan(maxBytes);
      const preview = await makePreview(jpeg, 'image/jpeg', { maxBytes });
      await expectPreview(preview, maxBytes);
      expect([preview.width, preview.height]).toEqual([1568, 16]);
      // The pixel limit is kept against the true size, before decoding.
      await expect(makePreview(jpeg, 'image/jpeg', { maxBytes, maxPixels: 1_000_000 })).rejects.toMatchObject({
        code: 'too-many-pixels',
        message:
          'the image is 20000×200 px (4 megapixels), over the 1 megapixels a preview is made from, so it was not decoded',
      });
    });

    it('a PNG with a 1000×1000 header and junk after it: undecodable', async () => {
      const header = Buffer.alloc(13);
      header.writeUInt32BE(1000, 0);
      header.writeUInt32BE(1000, 4);
      header.set([8, 2, 0, 0, 0], 8); // 8 bits, RGB
      const junk = Buffer.from('not image data at all, '.repeat(40), 'latin1');
      const png = Buffer.concat([
        Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
        pngChunk('IHDR', header),
        junk,
      ]);
      expect(imageInfo(png, 'image/png')).toEqual({ width: 1000, height: 1000, mimeType: 'image/png' });
      const error = await makePreview(png, 'image/png', { maxBytes: DEFAULT_PREVIEW_MAX_BYTES }).catch(
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(PreviewError);
      expect(error).toMatchObject({ code: 'undecodable' });
      expect((error as Error).message).toMatch(/^the image\/png image cannot be decoded \(.+\)$/);
    });

    it('a small PNG cut short: undecodable, not sent as it is', async () => {
      const png = await photo(200, 150, 2).png().toBuffer();
      const cut = png.subarray(0, Math.floor(png.length / 2));
      expect(cut.length).toBeLessThan(DEFAULT_PREVIEW_MAX_BYTES);
      expect(imageInfo(cut, 'image/png')).toMatchObject({ width: 200, height: 150 });
      await expect(makePreview(cut, 'image/png', { maxBytes: DEFAULT_PREVIEW_MAX_BYTES })).rejects.toMatchObject({
        name: 'PreviewError',
        code: 'undecodable',
      });
    });

    it('a small JPEG cut short, which libjpeg fills with grey and warns about: re-encoded, not sent as it is', async () => {
      const jpeg = await photo(400, 300, 4).jpeg({ quality: 90 }).toBuffer();
      const cut = jpeg.subarray(0, Math.floor(jpeg.length * 0.6));
      const preview = await makePreview(cut, 'image/jpeg', { maxBytes: DEFAULT_PREVIEW_MAX_BYTES });
      await expectPreview(preview, DEFAULT_PREVIEW_MAX_BYTES);
      expect([preview.width, preview.height]).toEqual([400, 300]);
    });
  });

  describe('reencode', () => {
    it('never sends the original: a small PNG carrying a secret comes back as a JPEG of the same size, without it', async () => {
      const secret = 'gnx_live_0123456789abcdef';
      const plain = await sharp({ create: { width: 300, height: 200, channels: 3, background: '#4080c0' } })
        .png()
        .toBuffer();
      // A tEXt chunk after IHDR (8 bytes of signature, 25 of IHDR).
      const png = Buffer.concat([
        plain.subarray(0, 33),
        pngChunk('tEXt', Buffer.from(`Comment\0${secret}`, 'latin1')),
        plain.subarray(33),
      ]);
      expect(await makePreview(png, 'image/png', { maxBytes: DEFAULT_PREVIEW_MAX_BYTES })).toMatchObject({
        original: true,
      });
      const preview = await makePreview(png, 'image/png', { maxBytes: DEFAULT_PREVIEW_MAX_BYTES, reencode: true });
      await expectPreview(preview, DEFAULT_PREVIEW_MAX_BYTES);
      expect([preview.width, preview.height]).toEqual([300, 200]); // not enlarged
      expect(Buffer.from(preview.data).includes(secret)).toBe(false);
    });

    it('a JPEG with EXIF is re-encoded without it, upright, still scaled to 1,568 px and within the budget', async () => {
      const small = await photo(64, 48, 2)
        .jpeg()
        .withExif({ IFD0: { ImageDescription: 'secret-in-exif' } })
        .toBuffer();
      expect(Buffer.from(small).includes('secret-in-exif')).toBe(true);
      const preview = await makePreview(small, 'image/jpeg', { maxBytes: 5_000, reencode: true });
      await expectPreview(preview, 5_000);
      expect([preview.width, preview.height]).toEqual([64, 48]);
      expect(Buffer.from(preview.data).includes('secret-in-exif')).toBe(false);
      const large = await makePreview(png1792, 'image/png', { maxBytes: 40_000, reencode: true });
      await expectPreview(large, 40_000);
      expect(Math.max(large.width, large.height)).toBeLessThanOrEqual(1568);
    });
  });

  it('refuses a CMYK JPEG as undecodable, saying so, with no codec noise', async () => {
    const cmyk = await sharp({ create: { width: 200, height: 100, channels: 3, background: '#4080c0' } })
      .toColourspace('cmyk')
      .jpeg()
      .toBuffer();
    expect((await sharp(cmyk).metadata()).space).toBe('cmyk');
    const written = vi.spyOn(process.stderr, 'write');
    try {
      const error = await makePreview(cmyk, 'image/jpeg', { maxBytes: DEFAULT_PREVIEW_MAX_BYTES }).catch(
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(PreviewError);
      expect(error).toMatchObject({ code: 'undecodable' });
      expect((error as Error).message).toMatch(/CMYK JPEG/);
      expect(written).not.toHaveBeenCalled();
    } finally {
      written.mockRestore();
    }
  });

  it('refuses a budget no JPEG can be made to', async () => {
    await expect(makePreview(png1792, 'image/png', { maxBytes: MIN_PREVIEW_BUDGET - 1 })).rejects.toThrow(RangeError);
  });
});

describe('previews made side by side (setPreviewConcurrency, as the HTTP server sets it)', () => {
  it('makes each of 6 concurrent previews as it would alone, whatever the limit and when it changes', async () => {
    const images = await Promise.all([1, 2, 3, 4, 5, 6].map((seed) => photo(640, 480, 30, seed).png().toBuffer()));
    const alone: Preview[] = [];
    for (const image of images) alone.push(await makePreview(image, 'image/png', { maxBytes: 40_000 }));
    try {
      setPreviewConcurrency(3);
      const pending = images.map((image) => makePreview(image, 'image/png', { maxBytes: 40_000 }));
      // Lowered while previews wait: every one still ends (no slot is lost or double-counted).
      setPreviewConcurrency(2);
      const together = await Promise.all(pending);
      expect(together.map((p) => [p.width, p.height, p.size])).toEqual(alone.map((p) => [p.width, p.height, p.size]));
      expect(together.map((p) => Buffer.from(p.data).equals(Buffer.from(alone[together.indexOf(p)]!.data)))).toEqual(
        images.map(() => true),
      );
    } finally {
      setPreviewConcurrency(1);
    }
  });
});
