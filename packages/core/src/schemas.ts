import { z } from 'zod/v4';

/**
 * Success bodies of the API, as the documentation shows them (genimix-api.md, "Endpoints").
 * Unknown extra fields are dropped; a missing or mistyped field is a contract breach.
 *
 * Loaded with `import()` by {@link loadSchema} when the first JSON body is read: zod is most of
 * what importing the core would otherwise cost, and a program may never read one.
 */

/** `PUT /v1/:projectId/generate/:imageId` and `PUT /v1/:projectId/image/:imageId` → 200. */
export const generateResponseSchema = z.object({
  success: z.literal(true),
  message: z.string(),
  imageUrl: z.string(),
});

/** `DELETE /v1/:projectId/image/:imageId` → 200. */
export const deleteResponseSchema = z.object({
  success: z.literal(true),
  deleted: z.string(),
});
