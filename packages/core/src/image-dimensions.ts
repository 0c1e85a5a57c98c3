import { formatOf } from './image-formats.js';

/**
 * How many leading bytes an upload reads before sending, for its type and, where the header is
 * within them, its dimensions: PNG, GIF and WebP need under 32; a JPEG's frame header comes after
 * its metadata, which is at most one 64 KiB segment in most files.
 */
export const HEADER_BYTES = 64 * 1024;

/** An image's size in pixels. */
export interface ImageDimensions {
  width: number;
  height: number;
}

/**
 * Width and height in pixels from an image's header (PNG, JPEG, WebP, GIF), read with image-size
 * (plain JavaScript, no decoding): `undefined` when the header cannot be read. For a JPEG the
 * header may sit after large metadata, so pass the whole image or at least its first 256 KiB.
 */
export function imageDimensions(data: Uint8Array): ImageDimensions | undefined {
  return formatOf(data)?.dimensions();
}
