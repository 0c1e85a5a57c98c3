import { z } from 'zod/v4';

/**
 * Success bodies of the API, as the documentation shows them (genimix-api.md, "Endpoints").
 * Unknown extra fields are dropped; a missing or mistyped field is a contract breach.
 */

/** `PUT /v1/:projectId/generate/:imageId` → 200. */
export const generateResponseSchema = z.object({
  success: z.literal(true),
  message: z.string(),
  imageUrl: z.string().min(1),
});

/** `PUT /v1/:projectId/image/:imageId` → 200. */
export const uploadResponseSchema = generateResponseSchema;

/** `DELETE /v1/:projectId/image/:imageId` → 200. */
export const deleteResponseSchema = z.object({
  success: z.literal(true),
  deleted: z.string(),
});
