/**
 * Writes an image streamed from Genimix to its destination: a file (atomically) or stdout, never
 * held whole in memory. Its width and height are read from its first bytes on the way.
 */
import path from 'node:path';
import { type GetImageStreamResult, HEADER_BYTES, imageDimensions } from '@genimix/core';
import { writeAtomically } from './atomic-file.js';
import { type Destination, imageFileName } from './destination.js';
import { writeToStdout } from './stdout.js';

/** An image once written. */
export interface SavedImage {
  /** The file's absolute path, or `-` for stdout. */
  file: string;
  /** Bytes written. */
  bytes: number;
  contentType: string;
  /** In pixels, when the image's header was readable within its first 64 KiB. */
  width?: number;
  height?: number;
}

/**
 * Writes `image` to `destination`, named `<imageId>.<ext>` in a folder destination.
 * @throws the stream's error (a connection cut mid-image, more bytes than any image: see
 *   `getImageStream`), the file system's, or stdout's (EPIPE); the file is left as it was
 */
export async function saveImage(
  image: GetImageStreamResult,
  destination: Destination,
  imageId: string,
): Promise<SavedImage> {
  const header = new HeaderTap();
  const chunks = header.tap(image.body);
  let file: string;
  let bytes: number;
  if (destination.kind === 'stdout') {
    file = '-';
    bytes = await writeToStdout(chunks);
  } else {
    file =
      destination.kind === 'file'
        ? destination.path
        : path.join(destination.dir, imageFileName(imageId, image.contentType));
    bytes = await writeAtomically(file, chunks);
  }
  return { file, bytes, contentType: image.contentType, ...header.dimensions() };
}

/** Keeps a copy of a stream's first {@link HEADER_BYTES} as they pass, for the image's dimensions. */
class HeaderTap {
  #head: Uint8Array[] = [];
  #size = 0;

  async *tap(body: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
    for await (const chunk of body) {
      if (this.#size < HEADER_BYTES) {
        this.#head.push(chunk.subarray(0, HEADER_BYTES - this.#size));
        this.#size += Math.min(chunk.length, HEADER_BYTES - this.#size);
      }
      yield chunk;
    }
  }

  dimensions(): { width: number; height: number } | Record<string, never> {
    return imageDimensions(Buffer.concat(this.#head)) ?? {};
  }
}
