import { requestIdOf } from '../error-mapping.js';
import { GenimixResponseError } from '../errors.js';
import type { RequestOptions } from '../request-options.js';
import { type ImageRef, type OperationContext, resolveImageRef } from './context.js';

/** Input of {@link deleteImage}. */
export type DeleteImageParams = ImageRef;

/** 200 of Delete: `deleted` is the id of the image that was removed. */
export interface DeleteImageResult {
  success: true;
  deleted: string;
}

/**
 * `DELETE /v1/:projectId/image/:imageId` (genimix-api.md).
 *
 * @throws {GenimixValidationError} for a bad id, before sending
 * @throws {GenimixNotFoundError} when there is no such image, other {@link GenimixApiError}s
 */
export async function deleteImage(
  ctx: OperationContext,
  params: DeleteImageParams,
  options: RequestOptions = {},
): Promise<DeleteImageResult> {
  const { projectId, imageId } = resolveImageRef(ctx, params);
  const action = `delete image "${imageId}"`;
  return ctx.requester.call(
    {
      method: 'DELETE',
      projectId,
      kind: 'image',
      imageId,
      action,
      retryClass: 'idempotent',
      maxRetries: options.maxRetries ?? ctx.maxRetries,
      signal: options.signal,
      timeoutMs: options.timeoutMs ?? ctx.timeoutMs,
    },
    async (response) => {
      const result = await ctx.requester.readJson(response, 'delete', action);
      if (result.deleted !== imageId) {
        throw new GenimixResponseError(
          `${action}: the server answered that it deleted ${JSON.stringify(result.deleted)}, not "${imageId}".`,
          { status: response.status, requestId: requestIdOf(response.headers) },
        );
      }
      return result;
    },
  );
}
