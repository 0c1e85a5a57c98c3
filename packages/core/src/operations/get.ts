import { requestIdOf } from '../error-mapping.js';
import { GenimixResponseError } from '../errors.js';
import { imageDimensions } from '../image-dimensions.js';
import { normalizeMimeType, sniffImageType } from '../image-type.js';
import { DEFAULT_MAX_IMAGE_BYTES, type GetImageOptions } from '../request-options.js';
import type { TransportResponse } from '../transport.js';
import { type ImageRef, type OperationContext, resolveImageRef } from './context.js';

/** Input of {@link getImage}. */
export type GetImageParams = ImageRef;

/** An image as the server stores it. */
export interface GetImageResult {
  /** The image's bytes. */
  data: Uint8Array;
  /** Its media type, sniffed from the bytes: `image/png`, `image/jpeg`, `image/webp` or `image/gif`. */
  contentType: string;
  /** `data.length`, in bytes. */
  size: number;
  /** Width in pixels, from the image's header; absent when the header cannot be read. */
  width?: number;
  /** Height in pixels, from the image's header; absent when the header cannot be read. */
  height?: number;
}

/**
 * `GET /v1/:projectId/image/:imageId`: the image's bytes and type (genimix-api.md).
 *
 * @throws {GenimixValidationError} for a bad id, before sending
 * @throws {GenimixNotFoundError} when there is no such image, other {@link GenimixApiError}s
 * @throws {GenimixResponseError} when the 200 is no PNG, JPEG, WebP or GIF (JSON, text, an HTML
 *   page, whatever its `Content-Type`), or is larger than `maxBytes`
 * @throws {GenimixConnectionError} with `status` set when the connection broke mid-body or the
 *   body is shorter than its `Content-Length` (after retries)
 */
export async function getImage(
  ctx: OperationContext,
  params: GetImageParams,
  options: GetImageOptions = {},
): Promise<GetImageResult> {
  const { projectId, imageId } = resolveImageRef(ctx, params);
  const action = `get image "${imageId}"`;
  return ctx.requester.call(
    {
      method: 'GET',
      projectId,
      kind: 'image',
      imageId,
      action,
      retryClass: 'idempotent',
      maxRetries: options.maxRetries ?? ctx.maxRetries,
      signal: options.signal,
      timeoutMs: options.timeoutMs ?? ctx.timeoutMs,
    },
    (response) => readImage(ctx, response, action, options.maxBytes ?? DEFAULT_MAX_IMAGE_BYTES),
  );
}

async function readImage(
  ctx: OperationContext,
  response: TransportResponse,
  action: string,
  maxBytes: number,
): Promise<GetImageResult> {
  const data = await ctx.requester.readBody(response, maxBytes, action, {
    tooLargeHint: 'pass a larger maxBytes if the image is expected to be this large',
  });
  const details = { status: response.status, requestId: requestIdOf(response.headers) };
  // The bytes decide: every stored image is PNG, JPEG, WebP or GIF (uploads are checked, Generate
  // makes PNGs), so anything else is a proxy's page or a broken server, whatever its header says.
  const contentType = sniffImageType(data);
  if (contentType) return { data, contentType, size: data.length, ...imageDimensions(data) };
  const declared = normalizeMimeType(response.headers['content-type'] ?? '') || 'an untyped body';
  throw new GenimixResponseError(
    `${action}: the server answered ${response.status} with ${declared} that is no PNG, JPEG, WebP or GIF image: ${ctx.requester.excerpt(data, response)}`,
    details,
  );
}
