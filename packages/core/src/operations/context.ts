import { checkId } from '../identifiers.js';
import { isUsableImageUrl } from '../image-url.js';
import type { Requester } from '../requester.js';
import type { OpenedFile } from '../runtime/types.js';
import type { TransportResponse } from '../transport.js';
import { buildUrl } from '../url.js';

/** What an operation needs from the client that runs it. */
export interface OperationContext {
  requester: Requester;
  /** The client's project, used when a call names none. */
  projectId: string;
  /** The client's timeout for Get, Upload and Delete, in ms. */
  timeoutMs: number;
  /** The client's timeout for Generate, in ms. */
  generateTimeoutMs: number;
  /** The client's retries after a failed attempt. */
  maxRetries: number;
  /** Opens a local file for an upload by path. */
  openFile(path: string): Promise<OpenedFile>;
}

/** Which image a call is about. */
export interface ImageRef {
  /** The image's id: 1–128 of `A–Z a–z 0–9 . _ -`, not `.` or `..`. */
  imageId: string;
  /** Overrides the client's project for this call. */
  projectId?: string;
}

/**
 * The checked project and image ids of a call, the project defaulting to the client's.
 * @throws {GenimixValidationError} field `projectId` or `imageId`
 */
export function resolveImageRef(ctx: OperationContext, ref: ImageRef): { projectId: string; imageId: string } {
  return { projectId: checkId('projectId', ref.projectId ?? ctx.projectId), imageId: checkId('imageId', ref.imageId) };
}

/**
 * The 200 of a Generate or an Upload (`{ success, message, imageUrl }`), its `imageUrl` replaced by
 * the image's own URL where the server's is unusable ({@link isUsableImageUrl}): the image was
 * stored either way.
 * @throws {GenimixResponseError} when the body is not JSON of that shape
 */
export async function readStoredAnswer(
  ctx: OperationContext,
  response: TransportResponse,
  action: string,
  ref: { projectId: string; imageId: string },
): Promise<{ success: true; message: string; imageUrl: string }> {
  const answer = await ctx.requester.readJson(response, 'generate', action);
  return isUsableImageUrl(answer.imageUrl)
    ? answer
    : { ...answer, imageUrl: buildUrl(ctx.requester.baseUrl, ref.projectId, 'image', ref.imageId) };
}
