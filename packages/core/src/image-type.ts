import { GenimixValidationError } from './errors.js';
import { formatOf } from './image-formats.js';
import { quoteInput } from './quote-input.js';

/** The image types the contract accepts for upload (genimix-api.md, "Upload types"). */
export const IMAGE_MIME_TYPES = ['image/png', 'image/jpeg', 'image/webp', 'image/gif'] as const;

/** One of {@link IMAGE_MIME_TYPES}. */
export type ImageMimeType = (typeof IMAGE_MIME_TYPES)[number];

/** The usual file extension of each accepted type, without the dot. */
export const IMAGE_EXTENSIONS: Readonly<Record<ImageMimeType, string>> = {
  'image/png': 'png',
  'image/jpeg': 'jpg',
  'image/webp': 'webp',
  'image/gif': 'gif',
};

/** How many leading bytes {@link sniffImageType} needs at most: WebP's signature ends at byte 12. */
export const SNIFF_BYTES = 16;

/**
 * The image type of some bytes, from their magic numbers (image-size's header checks), or
 * `undefined` when they are none of PNG, JPEG, WebP and GIF. Only the first
 * {@link SNIFF_BYTES} bytes are read.
 */
export function sniffImageType(bytes: Uint8Array): ImageMimeType | undefined {
  return formatOf(bytes.subarray(0, SNIFF_BYTES))?.mimeType;
}

/** True when `value` is one of {@link IMAGE_MIME_TYPES}. */
export function isImageMimeType(value: string): value is ImageMimeType {
  return (IMAGE_MIME_TYPES as readonly string[]).includes(value);
}

/** Other names in use for the accepted types (old browsers, Windows, some servers). */
const ALIASES: Readonly<Record<string, ImageMimeType>> = {
  'image/jpg': 'image/jpeg',
  'image/pjpeg': 'image/jpeg',
  'image/x-png': 'image/png',
};

/**
 * A media type in its plain form: lower case, parameters dropped, aliases read as the type they
 * name (`image/jpg` and `image/pjpeg` as `image/jpeg`, `image/x-png` as `image/png`). Returns
 * `''` for an empty input.
 */
export function normalizeMimeType(value: string): string {
  const base = value.split(';', 1)[0]!.trim().toLowerCase();
  return ALIASES[base] ?? base;
}

/**
 * The content type to upload some bytes with: the sniffed type, which must agree with the
 * declared one when there is one.
 *
 * @param bytes the image, or at least its first {@link SNIFF_BYTES} bytes
 * @param declared the caller's content type, if any (`image/jpg` is read as `image/jpeg`)
 * @throws {GenimixValidationError} field `data` when the bytes are no PNG, JPEG, WebP or GIF;
 *   field `contentType` when the declared type is not one of those or contradicts the bytes
 */
export function resolveUploadContentType(bytes: Uint8Array, declared?: string): ImageMimeType {
  const accepted = 'PNG, JPEG, WebP or GIF';
  let declaredType: ImageMimeType | undefined;
  if (declared !== undefined && declared !== '') {
    const normal = normalizeMimeType(declared);
    if (!isImageMimeType(normal)) {
      throw new GenimixValidationError(
        'contentType',
        `contentType ${quoteInput(declared)} is not accepted: use one of ${IMAGE_MIME_TYPES.join(', ')}, or leave it out to detect it from the bytes.`,
      );
    }
    declaredType = normal;
  }
  if (bytes.length === 0) {
    throw new GenimixValidationError('data', 'data is empty: pass the bytes of a PNG, JPEG, WebP or GIF image.');
  }
  const sniffed = sniffImageType(bytes);
  if (!sniffed) {
    throw new GenimixValidationError(
      'data',
      `data is not a ${accepted} image (its first bytes match none of them): pass the image file's bytes, not text, base64 or another format.`,
    );
  }
  if (declaredType && declaredType !== sniffed) {
    throw new GenimixValidationError(
      'contentType',
      `contentType ${quoteInput(declared)} contradicts the data, which is ${sniffed}: remove contentType or set it to "${sniffed}".`,
    );
  }
  return sniffed;
}
