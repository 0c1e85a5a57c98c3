/**
 * Writes an image streamed from Genimix to its destination: a file (atomically) or stdout, never
 * held whole in memory. Its width and height are read from its first bytes on the way.
 */
import path from 'node:path';
import {
  DEFAULT_MAX_IMAGE_BYTES,
  GenimixResponseError,
  type GetImageStreamResult,
  HEADER_BYTES,
  imageDimensions,
} from '@genimix/core';
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
 * @throws the stream's error (a connection cut mid-image), the file system's, or stdout's (EPIPE);
 *   {@link GenimixResponseError} past {@link DEFAULT_MAX_IMAGE_BYTES}, the file left as it was
 */
export async function saveImage(
  image: GetImageStreamResult,
  destination: Destination,
  imageId: string,
): Promise<SavedImage> {
  const header = new HeaderTap();
  const chunks = header.tap(capped(image, imageId));
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

/**
 * The image's chunks, up to the largest image Genimix stores (its upload limit). A broken server
 * or proxy that sends a body without end would otherwise fill the disk: --timeout bounds the
 * wait for each chunk, not the whole body.
 */
async function* capped(image: GetImageStreamResult, imageId: string): AsyncGenerator<Uint8Array> {
  const tooLarge = () =>
    new GenimixResponseError(
      `get image "${imageId}": the answer is more than ${DEFAULT_MAX_IMAGE_BYTES} bytes, more than any image Genimix stores.`,
      { limitBytes: DEFAULT_MAX_IMAGE_BYTES },
    );
  if ((image.contentLength ?? 0) > DEFAULT_MAX_IMAGE_BYTES) {
    await image.body.cancel();
    throw tooLarge();
  }
  let bytes = 0;
  for await (const chunk of image.body) {
    bytes += chunk.length;
    if (bytes > DEFAULT_MAX_IMAGE_BYTES) throw tooLarge();
    yield chunk;
  }
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
