import { GenimixValidationError } from './errors.js';

/**
 * Image data a caller may upload: bytes (`Uint8Array`, Node's `Buffer`, `ArrayBuffer`), a
 * `Blob` (or `File`), or a web `ReadableStream` of bytes.
 */
export type ImageData = Uint8Array | ArrayBuffer | Blob | ReadableStream<Uint8Array>;

/**
 * All bytes of `data`, at most `maxBytes` of them.
 *
 * @param maxBytes the largest size accepted, in bytes
 * @throws {GenimixValidationError} field `data`: an unsupported type, or more than `maxBytes`
 */
export async function readImageData(data: unknown, maxBytes: number): Promise<Uint8Array> {
  let bytes: Uint8Array;
  if (data instanceof Uint8Array) {
    bytes = data;
  } else if (data instanceof ArrayBuffer) {
    bytes = new Uint8Array(data);
  } else if (typeof Blob !== 'undefined' && data instanceof Blob) {
    tooLarge(data.size, maxBytes);
    bytes = new Uint8Array(await data.arrayBuffer());
  } else if (isReadableStream(data)) {
    bytes = await readStream(data, maxBytes);
  } else {
    throw new GenimixValidationError('data', `data must be a Uint8Array, Buffer, ArrayBuffer, Blob or ReadableStream of the image's bytes; got ${data === null ? 'null' : typeof data}.`);
  }
  tooLarge(bytes.length, maxBytes);
  return bytes;
}

function tooLarge(size: number, maxBytes: number): void {
  if (size > maxBytes) {
    throw new GenimixValidationError('data', `data is larger than ${maxBytes} bytes: upload a smaller image.`);
  }
}

function isReadableStream(value: unknown): value is ReadableStream<Uint8Array> {
  return typeof value === 'object' && value !== null && typeof (value as ReadableStream).getReader === 'function';
}

async function readStream(stream: ReadableStream<Uint8Array>, maxBytes: number): Promise<Uint8Array> {
  const reader = stream.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (!(value instanceof Uint8Array)) {
        throw new GenimixValidationError('data', 'data stream yielded something other than bytes: stream Uint8Array chunks.');
      }
      size += value.length;
      if (size > maxBytes) {
        await reader.cancel();
        tooLarge(size, maxBytes);
      }
      chunks.push(value);
    }
  } finally {
    reader.releaseLock();
  }
  return concat(chunks, size);
}

/** The chunks joined into one array of `size` bytes. */
export function concat(chunks: readonly Uint8Array[], size: number): Uint8Array {
  if (chunks.length === 1) return chunks[0]!;
  const out = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.length;
  }
  return out;
}
