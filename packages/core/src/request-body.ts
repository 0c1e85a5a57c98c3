import type { ReopenableBody } from './body-source.js';
import { GenimixAbortError, GenimixTooLargeError, GenimixValidationError } from './errors.js';
import { HEADER_BYTES, type ImageDimensions, imageDimensions } from './image-dimensions.js';
import { type ImageMimeType, resolveUploadContentType } from './image-type.js';

/**
 * Image data a caller may upload: bytes (`Uint8Array`, Node's `Buffer`, `ArrayBuffer`), a
 * `Blob` (or `File`), a {@link ReopenableBody} (`{ size, open() }`: sent as it is read, and
 * opened again to retry), a web `ReadableStream` of bytes, or any async iterable of bytes such as
 * a Node `Readable`. A one-time stream is sent as it is read but cannot be retried.
 */
export type ImageData =
  | Uint8Array
  | ArrayBuffer
  | Blob
  | ReopenableBody
  | ReadableStream<Uint8Array>
  | AsyncIterable<Uint8Array>;

/** An upload body, ready to send. */
export interface UploadBody {
  /** The bytes, or a stream of them that starts with the checked bytes. */
  body: Uint8Array | AsyncIterable<Uint8Array>;
  /** The type sniffed from the first bytes (and checked against the declared one). */
  contentType: ImageMimeType;
  /** The size in bytes, when known before sending (not for streams). */
  size: number | undefined;
  /** Width and height in pixels, when the header was within the bytes read first. */
  dimensions: ImageDimensions | undefined;
}

/**
 * Checks upload data and makes it a request body. Bytes and Blobs are read whole (at most
 * `maxBytes`); streams are not: their first bytes are read to check the type, and the body is
 * the stream itself (a Node `Readable` gets those bytes back with `unshift`, so the very same
 * object can be piped) or a generator that yields them again.
 *
 * @param maxBytes the largest size accepted for data read whole, in bytes
 * @throws {GenimixValidationError} field `data`: an unsupported type, more than `maxBytes`,
 *   bytes that are no image; field `contentType`: a declared type that contradicts the bytes
 */
export async function prepareUploadBody(
  data: unknown,
  declaredType: string | undefined,
  maxBytes: number,
  signal?: AbortSignal,
): Promise<UploadBody> {
  if (
    data instanceof Uint8Array ||
    data instanceof ArrayBuffer ||
    (typeof Blob !== 'undefined' && data instanceof Blob)
  ) {
    const bytes = await readWhole(data, maxBytes);
    return {
      body: bytes,
      contentType: resolveUploadContentType(bytes, declaredType),
      size: bytes.length,
      dimensions: imageDimensions(bytes),
    };
  }
  if (isNodeReadable(data)) {
    if (data.destroyed || data.readableEnded) {
      throw new GenimixValidationError(
        'data',
        'data is a stream that is already closed or fully read: pass a fresh stream of the image.',
      );
    }
    const { head, ended } = await untilAborted(peekNodeReadable(data, HEADER_BYTES), signal);
    const contentType = resolveUploadContentType(head, declaredType);
    const dimensions = imageDimensions(head);
    // A stream shorter than the peek ended while it was read: its bytes are all here.
    return ended
      ? { body: head, contentType, size: head.length, dimensions }
      : { body: data, contentType, size: undefined, dimensions };
  }
  const iterable = isReadableStream(data) ? iterateReadableStream(data) : isAsyncIterable(data) ? data : undefined;
  if (!iterable) {
    throw new GenimixValidationError(
      'data',
      `data must be a Uint8Array, Buffer, ArrayBuffer, Blob, ReadableStream or async iterable of the image's bytes; got ${data === null ? 'null' : typeof data}.`,
    );
  }
  const { head, rest, ended } = await untilAborted(peekIterable(iterable, HEADER_BYTES), signal);
  const contentType = resolveUploadContentType(head, declaredType);
  const dimensions = imageDimensions(head);
  return ended
    ? { body: head, contentType, size: head.length, dimensions }
    : { body: rest, contentType, size: undefined, dimensions };
}

async function readWhole(data: Uint8Array | ArrayBuffer | Blob, maxBytes: number): Promise<Uint8Array> {
  const size = data instanceof Uint8Array || data instanceof ArrayBuffer ? data.byteLength : data.size;
  if (size > maxBytes) throw tooLargeError(size, maxBytes);
  if (data instanceof Uint8Array) return data;
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  return new Uint8Array(await data.arrayBuffer());
}

/**
 * The refusal of upload data over the cap, worded alike for every kind of data.
 * @param counted the size was counted by reading, and only up to just past the cap
 */
export function tooLargeError(size: number, maxBytes: number, counted = false): GenimixTooLargeError {
  const what = counted ? 'over the limit' : formatBytes(size);
  return new GenimixTooLargeError(
    `data is ${what}, more than the ${formatBytes(maxBytes)} an upload accepts: nothing was sent. Upload a smaller image (resize or recompress it).`,
    maxBytes,
    counted ? undefined : size,
  );
}

/** `52428800 bytes (50 MiB)`: exact, and readable. */
export function formatBytes(bytes: number): string {
  const mib = bytes / (1024 * 1024);
  return `${bytes} bytes (${Number.isInteger(mib) ? mib : mib.toFixed(1)} MiB)`;
}

/**
 * Destroys a Node stream (or cancels any other stream) that will not be read to its end, so
 * that its file descriptor or socket is released now rather than on garbage collection.
 */
export function releaseStream(body: unknown): void {
  const stream = body as { destroy?: () => void; return?: () => unknown } | null;
  if (typeof stream?.destroy === 'function') stream.destroy();
  else if (typeof stream?.return === 'function') void Promise.resolve(stream.return()).catch(() => {});
}

/** The shape of a Node `Readable` this module relies on, duck-typed so that the core imports no Node module. */
interface NodeReadableLike extends AsyncIterable<Uint8Array> {
  readonly destroyed: boolean;
  read(): Uint8Array | null;
  unshift(chunk: Uint8Array): void;
  once(event: string, listener: (...args: unknown[]) => void): unknown;
  off(event: string, listener: (...args: unknown[]) => void): unknown;
  pipe: unknown;
  readonly readableEnded: boolean;
}

export function isNodeReadable(value: unknown): value is NodeReadableLike {
  const v = value as Partial<NodeReadableLike> | null;
  return (
    typeof v === 'object' &&
    v !== null &&
    typeof v.read === 'function' &&
    typeof v.unshift === 'function' &&
    typeof v.once === 'function' &&
    typeof v.pipe === 'function'
  );
}

function isReadableStream(value: unknown): value is ReadableStream<Uint8Array> {
  return typeof value === 'object' && value !== null && typeof (value as ReadableStream).getReader === 'function';
}

function isAsyncIterable(value: unknown): value is AsyncIterable<Uint8Array> {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as AsyncIterable<Uint8Array>)[Symbol.asyncIterator] === 'function'
  );
}

/**
 * The first `n` bytes, put back at the stream's front; or, when the stream ends before `n`
 * bytes, all of it with `ended` (bytes put back after the end would be lost).
 */
export async function peekNodeReadable(
  stream: NodeReadableLike,
  n: number,
): Promise<{ head: Uint8Array; ended: boolean }> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  while (size < n && !stream.readableEnded) {
    const chunk = stream.read();
    if (chunk !== null) {
      chunks.push(chunk);
      size += chunk.length;
      continue;
    }
    await new Promise<void>((resolve, reject) => {
      const settle = (error?: unknown) => {
        stream.off('readable', onReady);
        stream.off('end', onReady);
        stream.off('error', onError);
        if (error === undefined) resolve();
        else reject(error instanceof Error ? error : new Error(String(error)));
      };
      const onReady = () => settle();
      const onError = (error: unknown) => settle(error ?? new Error('stream failed'));
      stream.once('readable', onReady);
      stream.once('end', onReady);
      stream.once('error', onError);
    });
  }
  const head = concat(chunks, size);
  if (stream.readableEnded) return { head, ended: true };
  if (head.length > 0) stream.unshift(head);
  return { head, ended: false };
}

/** `promise`, or a {@link GenimixAbortError} as soon as `signal` aborts. */
export function untilAborted<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return promise;
  return new Promise<T>((resolve, reject) => {
    const onAbort = () =>
      reject(
        new GenimixAbortError('The upload was cancelled while its first bytes were read.', { cause: signal.reason }),
      );
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

async function* iterateReadableStream(stream: ReadableStream<Uint8Array>): AsyncGenerator<Uint8Array> {
  const reader = stream.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      yield value;
    }
  } finally {
    reader.releaseLock();
  }
}

/** The first `n` bytes of an iterable, and an iterable of all its bytes, those included. */
export async function peekIterable(
  iterable: AsyncIterable<Uint8Array>,
  n: number,
): Promise<{ head: Uint8Array; rest: AsyncIterable<Uint8Array>; ended: boolean }> {
  const iterator = iterable[Symbol.asyncIterator]();
  const taken: Uint8Array[] = [];
  let size = 0;
  let ended = false;
  while (size < n) {
    const { done, value } = await iterator.next();
    if (done) {
      ended = true;
      break;
    }
    if (!(value instanceof Uint8Array)) {
      await iterator.return?.();
      throw new GenimixValidationError(
        'data',
        'data stream yielded something other than bytes: stream Uint8Array chunks.',
      );
    }
    taken.push(value);
    size += value.length;
  }
  async function* rest(): AsyncGenerator<Uint8Array> {
    yield* taken;
    if (ended) return;
    for (;;) {
      const { done, value } = await iterator.next();
      if (done) return;
      yield value;
    }
  }
  return { head: concat(taken, size), rest: rest(), ended };
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
