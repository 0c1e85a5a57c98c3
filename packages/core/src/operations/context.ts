import { checkId } from '../identifiers.js';
import type { Requester } from '../requester.js';
import type { OpenedFile } from '../runtime/types.js';

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
