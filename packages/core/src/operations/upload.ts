import { GenimixValidationError } from '../errors.js';
import { type ImageData, prepareUploadBody, releaseStream } from '../request-body.js';
import { DEFAULT_MAX_IMAGE_BYTES, type RequestOptions } from '../request-options.js';
import { uploadResponseSchema } from '../schemas.js';
import { type ImageRef, type OperationContext, resolveImageRef } from './context.js';

/** Input of {@link uploadImage}. */
export interface UploadImageParams extends ImageRef {
  /**
   * The image: PNG, JPEG, WebP or GIF; bytes or a Blob of at most 50 MiB, or a stream (sent as it
   * is read, never held whole). Give exactly one of `data` and `path`.
   */
  data?: ImageData;
  /** A local image file to stream (Node only). Give exactly one of `data` and `path`. */
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
}

/**
 * `PUT /v1/:projectId/image/:imageId` with the raw bytes and their `Content-Type`; replaces any
 * image with that id (genimix-api.md). The type is sniffed from the magic bytes and must agree
 * with `contentType` when one is given.
 *
 * @throws {GenimixValidationError} before sending: bad id, bytes that are no image, a type
 *   that contradicts the bytes, more than 50 MiB
 * @throws {GenimixApiError} subclass for an error status, and the transport's errors
 */
export async function uploadImage(ctx: OperationContext, params: UploadImageParams, options: RequestOptions = {}): Promise<UploadImageResult> {
  const action = `upload image "${String(params.imageId)}"`;
  let source: unknown = params.data;
  try {
    const { projectId, imageId } = resolveImageRef(ctx, params);
    if ((params.data === undefined) === (params.path === undefined)) {
      throw new GenimixValidationError('data', 'Give exactly one of data (the image\'s bytes or a stream) and path (a local image file).');
    }
    const file = params.path === undefined ? undefined : await ctx.openFile(params.path);
    source = file?.stream ?? params.data;
    const prepared = await prepareUploadBody(source, params.contentType, DEFAULT_MAX_IMAGE_BYTES, options.signal);
    const { body, contentType } = prepared;
    const size = prepared.size ?? file?.size;
    return await ctx.requester.call(
      {
        method: 'PUT',
        projectId,
        kind: 'image',
        imageId,
        headers: { 'content-type': contentType, ...(size === undefined ? {} : { 'content-length': String(size) }) },
        body,
        action,
        // A stream cannot be sent twice: the requester retries only bytes.
        retryClass: 'idempotent',
        maxRetries: options.maxRetries ?? ctx.maxRetries,
        signal: options.signal,
        timeoutMs: options.timeoutMs ?? ctx.timeoutMs,
      },
      async (response) => ({ ...(await ctx.requester.readJson(response, uploadResponseSchema, action)), contentType }),
    );
  } catch (error) {
    // A stream that was refused, or that the transport did not finish (a refused connection, an
    // error status mid-upload), would otherwise keep its file open until garbage collection.
    releaseStream(source);
    throw error;
  }
}
