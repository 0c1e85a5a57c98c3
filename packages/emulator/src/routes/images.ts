import { IMAGE_MIME_TYPES, isImageMimeType, normalizeMimeType, sniffImageType } from '@genimix/core';
import { readBody } from '../body.js';
import { bodyReply, HttpError, jsonReply, type Reply } from '../respond.js';
import type { RouteContext } from './context.js';

const ACCEPTED = IMAGE_MIME_TYPES.join(', ');

/** `GET` (and `HEAD`) `/v1/:projectId/image/:imageId`: the image's bytes with its stored type. */
export async function getImage(ctx: RouteContext): Promise<Reply> {
  const image = await ctx.store.get(ctx.projectId, ctx.imageId);
  if (!image) throw notFound(ctx);
  return bodyReply(200, image.bytes, image.contentType, { 'X-Content-Type-Options': 'nosniff' });
}

/**
 * `PUT /v1/:projectId/image/:imageId`: stores the raw body as the image, replacing any image
 * there, once it has arrived whole and proved to be a PNG, JPEG, WebP or GIF of the declared type.
 */
export async function putImage(ctx: RouteContext): Promise<Reply> {
  // The header is checked before the body is read, so a client gets its answer without sending it.
  const declared = declaredImageType(ctx.req.headers['content-type']);
  const bytes = await readBody(ctx.req, ctx.res, ctx.maxUploadBytes, 'upload');
  if (bytes.length === 0) {
    throw new HttpError(400, "The upload is empty: send the image file's bytes as the request body.");
  }
  const sniffed = sniffImageType(bytes);
  if (!sniffed) {
    throw new HttpError(
      400,
      "The upload is not a PNG, JPEG, WebP or GIF image (its first bytes match none of them): send the image file's bytes, not text, base64 or another format.",
    );
  }
  if (sniffed !== declared) {
    throw new HttpError(
      400,
      `Content-Type ${declared} contradicts the uploaded bytes, which are ${sniffed}: send Content-Type: ${sniffed}.`,
    );
  }
  await ctx.store.put(ctx.projectId, ctx.imageId, { contentType: sniffed, bytes });
  return jsonReply(200, { success: true, message: 'Image uploaded successfully', imageUrl: ctx.imageUrl });
}

/** `DELETE /v1/:projectId/image/:imageId`: removes the image; 404 when there is none. */
export async function deleteImage(ctx: RouteContext): Promise<Reply> {
  if (!(await ctx.store.delete(ctx.projectId, ctx.imageId))) throw notFound(ctx);
  return jsonReply(200, { success: true, deleted: ctx.imageId });
}

/** The upload's declared type, normalised (`image/jpg` -> `image/jpeg`), or a 400. */
function declaredImageType(header: string | undefined): string {
  if (header === undefined || header.trim() === '') {
    throw new HttpError(400, `Content-Type header missing: send the image's type, one of ${ACCEPTED}.`);
  }
  const type = normalizeMimeType(header);
  if (!isImageMimeType(type)) {
    throw new HttpError(
      400,
      `Content-Type ${JSON.stringify(type)} is not an accepted image type: use one of ${ACCEPTED}.`,
    );
  }
  return type;
}

function notFound(ctx: RouteContext): HttpError {
  return new HttpError(404, `Image "${ctx.imageId}" not found in project "${ctx.projectId}".`);
}
