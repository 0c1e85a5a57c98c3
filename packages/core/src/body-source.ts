import { GenimixAbortError, GenimixValidationError } from './errors.js';
import { HEADER_BYTES, type ImageDimensions, imageDimensions } from './image-dimensions.js';
import { type ImageMimeType, resolveUploadContentType } from './image-type.js';
import {
  isNodeReadable,
  peekIterable,
  peekNodeReadable,
  releaseStream,
  tooLargeError,
  untilAborted,
} from './request-body.js';

/** What {@link ReopenableBody.open} gives: the bytes, or a stream of them. */
export type OpenedBody = Uint8Array | AsyncIterable<Uint8Array>;

/**
 * An upload body that can be opened again for each attempt, so that a failed attempt is retried
 * by reading the source again rather than by holding it in memory: n8n's binary store
 * (`getBinaryStream(id)`, or the buffer in memory mode), a file.
 *
 * ```ts
 * await client.uploadImage({ imageId: 'cat', data: { size: 40_000_000, open: () => createReadStream(file) } });
 * ```
 */
export interface ReopenableBody {
  /**
   * The exact size in bytes, checked against the size cap before anything is opened and sent as
   * `Content-Length`. Every opening must yield exactly this many bytes, or the attempt is stopped
   * before its body completes. When absent, the body is opened once more and counted first (only
   * up to the cap): give it whenever it is known.
   */
  size?: number;
  /**
   * Opens the body from its first byte; called once per attempt (and once more to count it when
   * `size` is absent). A Node `Readable` is sent as a Node `Readable`. May return a promise.
   */
  open(): OpenedBody | Promise<OpenedBody>;
}

/** A {@link ReopenableBody} whose size is known and checked: what the requester sends. */
export interface SizedBody extends ReopenableBody {
  readonly size: number;
}

/** True for a {@link ReopenableBody}: an object with `open()` that is not itself a stream. */
export function isReopenableBody(value: unknown): value is ReopenableBody {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as ReopenableBody).open === 'function' &&
    !(Symbol.asyncIterator in value) &&
    typeof (value as { pipe?: unknown }).pipe !== 'function'
  );
}

/**
 * Checks a re-openable upload body before anything is sent: its size against `maxBytes` (the
 * declared one, or one counted by reading it, never past the cap), then its type from its first
 * bytes. The opening read for the type becomes the first attempt's body.
 *
 * @throws {GenimixTooLargeError} over `maxBytes`, before the body is opened when its size is given
 * @throws {GenimixValidationError} field `data`: a size that is not a whole number of bytes, an
 *   opening that is neither bytes nor a stream of them, bytes that are no image; field
 *   `contentType`: a declared type that contradicts the bytes
 */
export async function prepareReopenableBody(
  source: ReopenableBody,
  declaredType: string | undefined,
  maxBytes: number,
  signal?: AbortSignal,
): Promise<{ body: SizedBody; contentType: ImageMimeType; size: number; dimensions: ImageDimensions | undefined }> {
  if (source.size !== undefined && (!Number.isSafeInteger(source.size) || source.size < 0)) {
    throw new GenimixValidationError(
      'data',
      `data.size must be the body's size as a whole number of bytes; got ${String(source.size)}.`,
    );
  }
  const size = source.size ?? (await countBytes(source, maxBytes, signal));
  if (size > maxBytes) throw tooLargeError(size, maxBytes, source.size === undefined);
  let first: OpenedBody = await openChecked(source);
  try {
    let head: Uint8Array;
    if (first instanceof Uint8Array) head = first;
    else if (isNodeReadable(first)) {
      const peeked = await untilAborted(peekNodeReadable(first, HEADER_BYTES), signal);
      head = peeked.head;
      // A stream shorter than the peek ended while it was read: its bytes are all here.
      if (peeked.ended) first = head;
    } else {
      const peeked = await untilAborted(peekIterable(first, HEADER_BYTES), signal);
      head = peeked.head;
      first = peeked.ended ? head : peeked.rest;
    }
    const contentType = resolveUploadContentType(head, declaredType);
    let pending: OpenedBody | undefined = first;
    const body: SizedBody = {
      size,
      open: () => {
        // The opening already read for the type is the first attempt's; later ones open afresh.
        const opened = pending;
        pending = undefined;
        return opened ?? openChecked(source);
      },
    };
    return { body, contentType, size, dimensions: imageDimensions(head) };
  } catch (error) {
    releaseStream(first);
    throw error;
  }
}

/** One attempt's body, opened from a {@link SizedBody}. */
export interface AttemptBody {
  /** What the transport sends: the bytes, or a stream that yields exactly `size` bytes or fails. */
  readonly body: OpenedBody;
  /** Set when the source held more or fewer bytes than its size, which stopped the body. */
  readonly mismatch: GenimixValidationError | undefined;
  /** Closes what was opened (a file, a database stream), whatever became of the attempt. */
  release(): void;
}

/**
 * Opens `source` for one attempt. A stream is checked as it is sent: the last bytes are held
 * back until the source is seen to end there, so a body whose length differs from its
 * `Content-Length` is never completed (the server stores nothing) and the attempt fails with
 * {@link AttemptBody.mismatch}.
 *
 * @throws {GenimixValidationError} field `data`: an opening that is not bytes or a stream, bytes
 *   of another length than `size`
 */
export async function openAttempt(source: SizedBody): Promise<AttemptBody> {
  const opened = await openChecked(source);
  if (opened instanceof Uint8Array) {
    if (opened.length !== source.size)
      throw sizeMismatch(
        opened.length < source.size ? `data ended after ${opened.length} of` : 'data held more than',
        source.size,
      );
    return { body: opened, mismatch: undefined, release: () => {} };
  }
  const state: { mismatch?: GenimixValidationError } = {};
  const body = sameKindOfStream(opened, exactly(opened, source.size, state));
  return {
    body,
    get mismatch() {
      return state.mismatch;
    },
    release: () => {
      releaseStream(body);
      releaseStream(opened);
    },
  };
}

async function openChecked(source: ReopenableBody): Promise<OpenedBody> {
  const opened: unknown = await source.open();
  if (opened instanceof Uint8Array) return opened;
  if (typeof opened === 'object' && opened !== null && Symbol.asyncIterator in opened)
    return opened as AsyncIterable<Uint8Array>;
  throw new GenimixValidationError(
    'data',
    `data.open() must return the bytes (a Uint8Array or Buffer) or a stream of them; got ${opened === null ? 'null' : typeof opened}.`,
  );
}

/** The body's size, read once and counted, but never past `maxBytes + 1`. */
async function countBytes(source: ReopenableBody, maxBytes: number, signal: AbortSignal | undefined): Promise<number> {
  const opened = await openChecked(source);
  if (opened instanceof Uint8Array) return opened.length;
  let size = 0;
  try {
    for await (const chunk of opened) {
      if (signal?.aborted)
        throw new GenimixAbortError('The upload was cancelled while its size was counted.', { cause: signal.reason });
      size += chunk.length;
      if (size > maxBytes) break;
    }
  } finally {
    releaseStream(opened);
  }
  return size;
}

/** The source's bytes, failing (and recording why in `state`) when they are not exactly `size`. */
async function* exactly(
  source: AsyncIterable<Uint8Array>,
  size: number,
  state: { mismatch?: GenimixValidationError },
): AsyncGenerator<Uint8Array> {
  const iterator = source[Symbol.asyncIterator]();
  const fail = (error: GenimixValidationError) => {
    state.mismatch = error;
    return error;
  };
  let sent = 0;
  for (;;) {
    const { done, value } = await iterator.next();
    if (done) break;
    if (!(value instanceof Uint8Array))
      throw fail(
        new GenimixValidationError('data', 'data stream yielded something other than bytes: stream Uint8Array chunks.'),
      );
    if (sent + value.length > size) throw fail(sizeMismatch('data held more than', size));
    sent += value.length;
    if (sent === size && value.length > 0) {
      // Sent, these bytes would complete a request whose body might not be the whole source.
      if (!(await endsHere(iterator))) throw fail(sizeMismatch('data held more than', size));
      yield value;
      return;
    }
    if (value.length > 0) yield value;
  }
  if (sent !== size) throw fail(sizeMismatch(`data ended after ${sent} of`, size));
}

/** True when the iterator has nothing but empty chunks left. */
async function endsHere(iterator: AsyncIterator<Uint8Array>): Promise<boolean> {
  for (;;) {
    const { done, value } = await iterator.next();
    if (done) return true;
    if (!(value instanceof Uint8Array) || value.length > 0) return false;
  }
}

function sizeMismatch(what: string, size: number): GenimixValidationError {
  return new GenimixValidationError(
    'data',
    `${what} the ${size} bytes given as its size (sent as Content-Length): the upload was stopped before it completed, so nothing was stored. The data changed while it was read, or its size is wrong: give its exact size.`,
  );
}

/**
 * The checked stream as the same kind of stream as its source: a Node `Readable` (n8n's binary
 * stream, a file) becomes a Node `Readable` again, since Node HTTP stacks such as n8n's helpers
 * (axios) send only Node streams and would drop another iterable as an empty body. The class is
 * taken from the source (its `Readable.from`), so that the core imports no Node module.
 */
function sameKindOfStream(source: OpenedBody, checked: AsyncIterable<Uint8Array>): AsyncIterable<Uint8Array> {
  if (!isNodeReadable(source)) return checked;
  const kind = (
    source as {
      constructor?: {
        from?: (iterable: AsyncIterable<Uint8Array>, options: { objectMode: boolean }) => AsyncIterable<Uint8Array>;
      };
    }
  ).constructor;
  return typeof kind?.from === 'function' ? kind.from(checked, { objectMode: false }) : checked;
}
