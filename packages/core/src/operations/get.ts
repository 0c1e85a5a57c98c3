import { GenimixResponseError } from '../errors.js';
import { requestIdOf } from '../error-mapping.js';
import { readErrorMessage } from '../error-body.js';
import { normalizeMimeType, sniffImageType } from '../image-type.js';
import { DEFAULT_MAX_IMAGE_BYTES, type GetImageOptions } from '../request-options.js';
import { type ImageRef, type OperationContext, resolveImageRef } from './context.js';

/** Input of {@link getImage}. */
export type GetImageParams = ImageRef;

/** An image as the server stores it. */
export interface GetImageResult {
  /** The image's bytes. */
  data: Uint8Array;
  /** Its media type, e.g. `image/png` (from `Content-Type`, or sniffed where the server sent none). */
  contentType: string;
  /** `data.length`, in bytes. */
  size: number;
}

/**
 * `GET /v1/:projectId/image/:imageId`: the image's bytes and type (genimix-api.md).
 *
 * @throws {GenimixValidationError} for a bad id, before sending
 * @throws {GenimixNotFoundError} when there is no such image, other {@link GenimixApiError}s
 * @throws {GenimixResponseError} when the 200 is not an image (JSON, text, HTML), is larger than
 *   `maxBytes`, or was cut off
 */
export async function getImage(ctx: OperationContext, params: GetImageParams, options: GetImageOptions = {}): Promise<GetImageResult> {
  const { projectId, imageId } = resolveImageRef(ctx, params);
  const action = `get image "${imageId}"`;
  const response = await ctx.requester.send({
    method: 'GET',
    projectId,
    kind: 'image',
    imageId,
    action,
    signal: options.signal,
    timeoutMs: options.timeoutMs ?? ctx.timeoutMs,
  });
  const data = await ctx.requester.readBody(response, options.maxBytes ?? DEFAULT_MAX_IMAGE_BYTES, action);
  const declared = normalizeMimeType(response.headers['content-type'] ?? '');
  const details = { status: response.status, requestId: requestIdOf(response.headers) };
  if (declared.startsWith('image/')) return { data, contentType: declared, size: data.length };
  // A proxy or a misbehaving server may answer 200 with something that is no image.
  const sniffed = declared === '' || declared === 'application/octet-stream' ? sniffImageType(data) : undefined;
  if (sniffed) return { data, contentType: sniffed, size: data.length };
  const excerpt = readErrorMessage(data, declared) ?? 'an empty body';
  throw new GenimixResponseError(`${action}: the server answered ${response.status} with ${declared || 'an untyped body'} instead of an image: ${excerpt}`, details);
}
