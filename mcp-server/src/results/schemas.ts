import { z } from 'zod/v4';

/**
 * The `outputSchema`s of the tools: what `structuredContent` holds. Facts only (ids, URLs,
 * sizes, where files are); never image bytes or base64, which hosts would put in the model's
 * context as text (claude-code#70280).
 */

/** The image the model is shown: the image itself, or a smaller re-encoded preview. */
export const previewSchema = z.object({
  original: z
    .boolean()
    .describe('true when the model is shown the image itself; false for a smaller re-encoded preview'),
  mimeType: z.string(),
  size: z.number().int().describe('bytes'),
  width: z.number().int().describe('pixels'),
  height: z.number().int().describe('pixels'),
});

/** Where an image is and what it is. Fields about the bytes are absent while it is still being generated. */
const imageFields = {
  projectId: z.string(),
  imageId: z.string(),
  imageUrl: z
    .string()
    .optional()
    .describe('Where Genimix serves the image (fetching it needs the API key); any credential removed'),
  resourceUri: z
    .string()
    .optional()
    .describe('genimix://images/{projectId}/{imageId}: resources/read returns the full image'),
  mimeType: z.string().optional(),
  size: z.number().int().optional().describe('bytes'),
  width: z.number().int().optional().describe('pixels'),
  height: z.number().int().optional().describe('pixels'),
  savedTo: z
    .string()
    .optional()
    .describe('The local file the full image was written to, when it is larger than its preview'),
  replacedFile: z.boolean().optional().describe('true when savedTo replaced an earlier file of this image'),
  preview: previewSchema.optional(),
};

/** `status`: `ready` when the image is there; `pending` while Genimix is still generating it. */
const status = z
  .enum(['ready', 'pending'])
  .describe('ready: the image exists; pending: still being generated, call get_image with the same imageId for it');

/** `get_image`. */
export const getImageOutput = z.object({ status, ...imageFields });

/** `generate_image`. */
export const generateImageOutput = z.object({ status, ...imageFields, provider: z.string(), modelId: z.string() });

/** `upload_image`. */
export const uploadImageOutput = z.object({
  projectId: z.string(),
  imageId: z.string(),
  imageUrl: z.string(),
  resourceUri: z.string(),
  mimeType: z.string(),
  size: z.number().int().describe('bytes'),
  width: z.number().int().optional().describe('pixels'),
  height: z.number().int().optional().describe('pixels'),
});

/** `delete_image`. */
export const deleteImageOutput = z.object({ projectId: z.string(), imageId: z.string(), deleted: z.literal(true) });

/** `list_models`. */
export const listModelsOutput = z.object({
  models: z.array(
    z.object({
      provider: z.string(),
      modelId: z.string(),
      name: z.string(),
      costTokens: z.number().nullable().describe('Genimix tokens per image; null where the documentation says TBD'),
      available: z.boolean().describe('false for models the documentation marks "coming soon"'),
      default: z.boolean(),
    }),
  ),
});

export type ImageFacts = z.infer<typeof getImageOutput>;
