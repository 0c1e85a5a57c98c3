import { GIF } from 'image-size/types/gif';
import { JPG } from 'image-size/types/jpg';
import { PNG } from 'image-size/types/png';
import { WEBP } from 'image-size/types/webp';
import type { ImageMimeType } from './image-type.js';

/**
 * The four formats the contract accepts, each as image-size reads it: `validate` recognises its
 * header (magic numbers), `calculate` reads its width and height. Only these four of image-size's
 * twenty readers are imported: loading them all (or a general MIME sniffer) was most of what
 * importing the core cost after zod.
 */
const FORMATS: ReadonlyArray<
  readonly [
    ImageMimeType,
    { validate(input: Uint8Array): boolean; calculate(input: Uint8Array): { width?: number; height?: number } },
  ]
> = [
  ['image/png', PNG],
  ['image/jpeg', JPG],
  ['image/gif', GIF],
  ['image/webp', WEBP],
];

/** A format recognised by its magic number, and whether its header can be read for a size. */
export interface RecognisedFormat {
  mimeType: ImageMimeType;
  /** The image's width and height, when its header can be read. Never throws. */
  dimensions(): { width: number; height: number } | undefined;
}

/** The format whose magic number `bytes` start with, or `undefined`. Never throws. */
export function formatOf(bytes: Uint8Array): RecognisedFormat | undefined {
  for (const [mimeType, format] of FORMATS) {
    let readable: boolean;
    try {
      if (!format.validate(bytes)) continue;
      readable = true;
    } catch {
      // image-size throws once the magic number matched but the header after it is broken (a
      // PNG signature without IHDR): the type is known, the size is not.
      readable = false;
    }
    return {
      mimeType,
      dimensions() {
        if (!readable) return undefined;
        try {
          const { width, height } = format.calculate(bytes);
          return width && height && width > 0 && height > 0 ? { width, height } : undefined;
        } catch {
          return undefined;
        }
      },
    };
  }
  return undefined;
}
