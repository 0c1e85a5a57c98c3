import { isReopenableBody, prepareReopenableBody, type ReopenableBody } from '../body-source.js';
import { GenimixValidationError } from '../errors.js';
import { type ImageData, prepareUploadBody, releaseStream } from '../request-body.js';
import { DEFAULT_MAX_IMAGE_BYTES, type RequestOptions } from '../request-options.js';
import { type ImageRef, type OperationContext, readStoredAnswer, resolveImageRef } from './context.js';

/** Input of {@link uploadImage}. */
export interface UploadImageParams extends ImageRef {
  /**
   * The image: PNG, JPEG, WebP or GIF, of at most {@link DEFAULT_MAX_IMAGE_BYTES} (50 MiB). Bytes
   * or a Blob; a {@link ReopenableBody} `{ size, open() }` (streamed, with `Content-Length`, and
   * opened again for a retry: never held whole); or a one-time stream (sent as it is read, not
   * retried). Give exactly one of `data` and `path`.
   */
  data?: ImageData;
  /** A local image file to stream (Node only), opened again for a retry. Give exactly one of `data` and `path`. */
  path?: string;
  /** `image/png`, `image/jpeg`, `image/webp` or `image/gif`; sniffed from the bytes when absent. */
  contentType?: string;
}

/** 200 of Upload, with the type the image was sent as. */
export interface UploadImageResult {
  success: true;
  message: string;
  imageUrl: string;
  /** The type sniffed from the bytes, sent as `Content-Type`. */
  contentType: string;
  /** The bytes sent, when known before sending (all but one-time streams). */
  size?: number;
  /** Width in pixels, when the image's header was within its first 64 KiB. */
  width?: number;
  /** Height in pixels, likewise. */
  height?: number;
}

/**
 * `PUT /v1/:projectId/image/:imageId` with the raw bytes and their `Content-Type`; replaces any
 * image with that id (genimix-api.md). The type is sniffed from the magic bytes and must agree
 * with `contentType` when one is given. Bytes, Blobs, files and re-openable bodies go out with
 * `Content-Length` and are retried like any idempotent call; a one-time stream is not retried.
 *
 * @throws {GenimixTooLargeError} before sending: more than {@link DEFAULT_MAX_IMAGE_BYTES}
 * @throws {GenimixValidationError} before sending: bad id, bytes that are no image, a type
 *   that contradicts the bytes; while sending: a re-openable body or file whose bytes did not
 *   match its size (the upload is stopped before it completes)
 * @throws {GenimixApiError} subclass for an error status, and the transport's errors
 */
export async function uploadImage(
  ctx: OperationContext,
  params: UploadImageParams,
  options: RequestOptions = {},
): Promise<UploadImageResult> {
  const action = `upload image "${String(params.imageId)}"`;
  let source: unknown = params.data;
  try {
    const { projectId, imageId } = resolveImageRef(ctx, params);
    if ((params.data === undefined) === (params.path === undefined)) {
      throw new GenimixValidationError(
        'data',
        "Give exactly one of data (the image's bytes or a stream) and path (a local image file).",
      );
    }
    source = params.path === undefined ? params.data : await fileBody(ctx, params.path);
    const prepared = isReopenableBody(source)
      ? await prepareReopenableBody(source, params.contentType, DEFAULT_MAX_IMAGE_BYTES, options.signal)
      : await prepareUploadBody(source, params.contentType, DEFAULT_MAX_IMAGE_BYTES, options.signal);
    const { body, contentType, size, dimensions } = prepared;
    return await ctx.requester.call(
      {
        method: 'PUT',
        projectId,
        kind: 'image',
        imageId,
        headers: { 'content-type': contentType, ...(size === undefined ? {} : { 'content-length': String(size) }) },
        body,
        action,
        // Bytes and re-openable bodies are sent again; a one-time stream cannot be.
        retryClass: 'idempotent',
        maxRetries: options.maxRetries ?? ctx.maxRetries,
        signal: options.signal,
        timeoutMs: options.timeoutMs ?? ctx.timeoutMs,
      },
      async (response) => ({
        ...(await readStoredAnswer(ctx, response, action, { projectId, imageId })),
        contentType,
        ...(size === undefined ? {} : { size }),
        ...dimensions,
      }),
    );
  } catch (error) {
    // A stream that was refused, or that the transport did not finish (a refused connection, an
    // error status mid-upload), would otherwise keep its file open until garbage collection.
    if (!isReopenableBody(source)) releaseStream(source);
    throw error;
  }
}

/**
 * A local file as a re-openable body, of the size it has now: opened here to check it (a missing
 * file, a folder, a FIFO are refused before anything else), then afresh for each attempt.
 */
async function fileBody(ctx: OperationContext, path: string): Promise<ReopenableBody> {
  const checked = await ctx.openFile(path);
  releaseStream(checked.stream);
  return { size: checked.size, open: async () => (await ctx.openFile(path)).stream };
}
