/**
 * Photo-like images: a landscape (scene.ts) enlarged to the full size, with film grain on every
 * pixel. The grain is what makes them realistic in size, not only in look: like a real photo they
 * compress badly, a PNG of some 1.7 bytes a pixel, where flat colour would compress to nothing.
 */
import { createHash } from 'node:crypto';
import sharp, { type Sharp } from 'sharp';
import { GAUSSIAN, GAUSSIAN_BITS, seededRandom } from './noise.js';
import { drawScene } from './scene.js';

/** The longest side {@link renderPhoto} draws, in pixels. */
export const MAX_PHOTO_SIDE = 32_768;

/** The most pixels {@link renderPhoto} draws (40 MP, 120 MB of raw RGB while it works). */
export const MAX_PHOTO_PIXELS = 40_000_000;

/** The default film grain: the standard deviation of the brightness noise, in 8-bit levels. */
export const DEFAULT_GRAIN = 4;

/** Options of {@link renderPhoto}. */
export interface PhotoOptions {
  /** Width in pixels, a whole number from 1 to {@link MAX_PHOTO_SIDE}. */
  readonly width: number;
  /** Height in pixels, a whole number from 1 to {@link MAX_PHOTO_SIDE}; width × height at most {@link MAX_PHOTO_PIXELS}. */
  readonly height: number;
  /** Picks the picture: the same seed (and size, grain, format) gives the same bytes. Default `0`. */
  readonly seed?: string | number;
  /** `'png'` (default) or `'jpeg'` (quality 90). */
  readonly format?: 'png' | 'jpeg';
  /**
   * Film grain: the standard deviation of the brightness noise in 8-bit levels, 0 to 64, with a
   * colour noise of 3/8 of it; default {@link DEFAULT_GRAIN}. It sets the PNG's size: about 1.7
   * bytes a pixel at 4, 1.4 at 2, 1.0 at 1, under 0.3 at 0 (a smooth picture).
   */
  readonly grain?: number;
}

/**
 * A photo-like image for tests: a landscape with sky, clouds, sun, mountains and film grain,
 * drawn from `seed`, encoded as PNG or JPEG. Large and oddly shaped images are fine (8000×300,
 * 300×8000, 12 MP); a PNG is about 1.7 bytes a pixel at the default grain (1 MP: some 1.8 MB;
 * 12 MP: some 20 MB, in about 1.6 s), a JPEG about 0.2 (12 MP: some 2.2 MB). The same pictures
 * as the emulator's `realistic` profile generates, without their caption.
 *
 * @throws {TypeError} for a width or height that is not a whole number from 1 to
 *   {@link MAX_PHOTO_SIDE}, more than {@link MAX_PHOTO_PIXELS} pixels, a seed that is neither a
 *   string nor a finite number, an unknown format, or a grain outside 0–64
 */
export async function renderPhoto(options: PhotoOptions): Promise<Buffer> {
  const { width, height } = options;
  for (const [name, value] of [
    ['width', width],
    ['height', height],
  ] as const) {
    if (!Number.isInteger(value) || value < 1 || value > MAX_PHOTO_SIDE) {
      throw new TypeError(
        `renderPhoto: ${name} must be a whole number of pixels from 1 to ${MAX_PHOTO_SIDE}; got ${String(value)}.`,
      );
    }
  }
  if (width * height > MAX_PHOTO_PIXELS) {
    throw new TypeError(
      `renderPhoto: ${width}×${height} is ${width * height} pixels; at most ${MAX_PHOTO_PIXELS} are drawn.`,
    );
  }
  const seed = options.seed ?? 0;
  if (typeof seed !== 'string' && !(typeof seed === 'number' && Number.isFinite(seed))) {
    throw new TypeError(
      `renderPhoto: seed must be a string or a finite number; got ${typeof seed === 'number' ? String(seed) : typeof seed}.`,
    );
  }
  const format = options.format ?? 'png';
  if (format !== 'png' && format !== 'jpeg')
    throw new TypeError(`renderPhoto: format must be "png" or "jpeg"; got ${JSON.stringify(format)}.`);
  const grain = options.grain ?? DEFAULT_GRAIN;
  if (typeof grain !== 'number' || !(grain >= 0 && grain <= 64))
    throw new TypeError(`renderPhoto: grain must be a number from 0 to 64 (8-bit levels); got ${String(grain)}.`);

  // Hashed, so that seeds 1 and 2 give unrelated pictures, and a string seed works as well as a number.
  const hash = createHash('sha256')
    .update(JSON.stringify(['photo', seed]), 'utf8')
    .digest();
  const pixels = await photoPixels(width, height, hash, grain);
  return encodePhoto(sharp(pixels, { raw: { width, height, channels: 3 } }), format);
}

/**
 * The photo's pixels: raw RGB, 3 bytes a pixel, `width`×`height`, from a 32-byte `seed`. Sizes
 * are not checked here (see {@link renderPhoto}).
 *
 * @param grain the brightness noise's standard deviation in 8-bit levels
 */
export async function photoPixels(
  width: number,
  height: number,
  seed: Uint8Array,
  grain = DEFAULT_GRAIN,
): Promise<Buffer> {
  const scene = drawScene(width, height, seed);
  // Cubic enlargement keeps the sky's gradients smooth and the ridge lines soft.
  const pixels = await sharp(scene.data, { raw: { width: scene.width, height: scene.height, channels: 3 } })
    .resize(width, height, { fit: 'fill', kernel: 'cubic' })
    .raw()
    .toBuffer();
  if (grain > 0) addGrain(pixels, seed, grain);
  return pixels;
}

/**
 * Encodes a photo. PNG: zlib level 6 with adaptive filtering, the trade-off of a real encoder
 * (level 9 takes three times as long for a few per cent); JPEG: quality 90.
 */
export function encodePhoto(image: Sharp, format: 'png' | 'jpeg'): Promise<Buffer> {
  return format === 'png'
    ? image.png({ compressionLevel: 6, adaptiveFiltering: true }).toBuffer()
    : image.jpeg({ quality: 90 }).toBuffer();
}

/**
 * Adds film grain in place: per pixel a brightness noise of `grain` levels on all three channels
 * and a colour noise of 3/8 of it per channel, both Gaussian (rounded to whole levels), from a
 * generator seeded apart from the scene's. Whole-level tables and a clamped view keep it to a
 * few array operations a pixel: some 20 ms a megapixel.
 */
function addGrain(pixels: Buffer, seed: Uint8Array, grain: number): void {
  const random = seededRandom(seed, 28);
  const mask = (1 << GAUSSIAN_BITS) - 1;
  const light = new Int16Array(GAUSSIAN.length);
  const colour = new Int16Array(GAUSSIAN.length);
  for (let i = 0; i < GAUSSIAN.length; i++) {
    light[i] = Math.round(GAUSSIAN[i]! * grain);
    colour[i] = Math.round(GAUSSIAN[i]! * grain * 0.375);
  }
  // Stores into a Uint8ClampedArray clamp to 0–255 and round by themselves.
  const out = new Uint8ClampedArray(pixels.buffer, pixels.byteOffset, pixels.length);
  // Two 32-bit draws give four 12-bit indices (48 of the 64 bits): one pixel.
  for (let i = 0; i + 2 < out.length; i += 3) {
    const a = random();
    const b = random();
    const l = light[a & mask]!;
    out[i] = out[i]! + l + colour[(a >>> 12) & mask]!;
    out[i + 1] = out[i + 1]! + l + colour[((a >>> 24) | (b << 8)) & mask]!;
    out[i + 2] = out[i + 2]! + l + colour[(b >>> 4) & mask]!;
  }
}
