import { z } from 'zod/v4';

/**
 * Success bodies of the API, as the documentation shows them (genimix-api.md, "Endpoints").
 * Unknown extra fields are dropped; a missing or mistyped field is a contract breach.
 */

/** The longest `imageUrl` accepted, in characters: longer is no URL a client should pass on. */
export const MAX_IMAGE_URL_LENGTH = 2048;

/**
 * An image URL as Genimix gives it: an absolute http(s) URL of at most
 * {@link MAX_IMAGE_URL_LENGTH} characters. Anything else (a `javascript:` URL, text, a huge
 * string) is a contract breach, never passed on to a workflow or an agent as an image's URL.
 */
const imageUrlSchema = z
  .string()
  .min(1)
  .max(MAX_IMAGE_URL_LENGTH)
  .refine((value) => {
    try {
      const { protocol } = new URL(value);
      return protocol === 'https:' || protocol === 'http:';
    } catch {
      return false;
    }
  }, 'not an absolute http(s) URL');

/** `PUT /v1/:projectId/generate/:imageId` → 200. */
export const generateResponseSchema = z.object({
  success: z.literal(true),
  message: z.string(),
  imageUrl: imageUrlSchema,
});

/** `PUT /v1/:projectId/image/:imageId` → 200. */
export const uploadResponseSchema = generateResponseSchema;

/** `DELETE /v1/:projectId/image/:imageId` → 200. */
export const deleteResponseSchema = z.object({
  success: z.literal(true),
  deleted: z.string(),
});
