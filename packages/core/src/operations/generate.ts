import { checkModelField, checkPrompt } from '../prompt.js';
import type { RequestOptions } from '../request-options.js';
import { type ImageRef, type OperationContext, readStoredAnswer, resolveImageRef } from './context.js';

/** Input of {@link generateImage}. */
export interface GenerateImageParams extends ImageRef {
  /** Provider id, e.g. `google` (see `MODELS`; unknown ids are sent as given). */
  provider: string;
  /** Model id, e.g. `imagen-3.0-generate-002`. */
  modelId: string;
  /** What to draw: non-empty, at most 4,000 characters. */
  prompt: string;
}

/** 200 of Generate: the image is stored; `imageUrl` is where to GET it (with the API key). */
export interface GenerateImageResult {
  success: true;
  message: string;
  imageUrl: string;
}

/**
 * `PUT /v1/:projectId/generate/:imageId` with `{ provider, modelId, prompt }`: the server
 * renders the image and stores it under `imageId`; the bytes are not returned (genimix-api.md).
 * Billed per call: retried only where the request surely did not reach the server (connection
 * refused, DNS failure) or the server asked for it (429 or 503 with `Retry-After`).
 *
 * @throws {GenimixValidationError} before sending, naming the bad field
 * @throws {GenimixApiError} subclass for an error status; {@link GenimixResponseError} for a
 *   2xx body of the wrong shape; connection, timeout and abort errors from the transport
 */
export async function generateImage(
  ctx: OperationContext,
  params: GenerateImageParams,
  options: RequestOptions = {},
): Promise<GenerateImageResult> {
  const { projectId, imageId } = resolveImageRef(ctx, params);
  const provider = checkModelField('provider', params.provider);
  const modelId = checkModelField('modelId', params.modelId);
  const prompt = checkPrompt(params.prompt);
  const action = `generate image "${imageId}"`;
  return ctx.requester.call(
    {
      method: 'PUT',
      projectId,
      kind: 'generate',
      imageId,
      headers: { 'content-type': 'application/json' },
      body: new TextEncoder().encode(JSON.stringify({ provider, modelId, prompt })),
      action,
      retryClass: 'billed',
      maxRetries: options.maxRetries ?? ctx.maxRetries,
      signal: options.signal,
      timeoutMs: options.timeoutMs ?? ctx.generateTimeoutMs,
    },
    (response) => readStoredAnswer(ctx, response, action, { projectId, imageId }),
  );
}
